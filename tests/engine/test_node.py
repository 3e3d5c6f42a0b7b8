"""Which node runs a JavaScript project, and what the runner says when it is not the tenant's major."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from app.domain.project import load_project
from app.engine import node
from app.engine.node import NodeError, NodeSettings, find_node, node_settings, node_version, version_notice


def _project(tmp_path: Path, runtime: str):
    (tmp_path / "customdb.toml").write_text('name = "p"\nlanguage = "javascript"\n[runtime]\n'
                                           + textwrap.dedent(runtime), encoding="utf-8")
    return load_project(tmp_path)


def test_the_pinned_wheel_node_is_found_and_is_node_22():
    runtime = find_node()
    assert runtime.source == "wheel"
    assert Path(runtime.path).name in ("node", "node.exe")
    assert node_version(runtime.path)[:2] == (22, 20)


def test_the_frozen_apps_bundled_node_comes_before_the_wheel(tmp_path, monkeypatch):
    exe = tmp_path / node.BUNDLE_DIR / ("node.exe" if os.name == "nt" else "node")
    exe.parent.mkdir()
    exe.write_text("")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert find_node() == node.NodeRuntime(str(exe), "bundled")


def test_a_configured_node_on_path_is_used_when_it_is_18_or_later(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "mynode"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho v18.19.1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent) + os.pathsep + os.environ["PATH"])
    assert find_node(NodeSettings("18", "mynode")) == node.NodeRuntime(str(fake), "configured")
    fake.write_text("#!/bin/sh\necho v16.20.2\n")
    with pytest.raises(NodeError, match="Node 16; Custom DB Studio needs Node 18 or later"):
        find_node(NodeSettings("18", "mynode"))
    with pytest.raises(NodeError, match="'no-such-node' was not found"):
        find_node(NodeSettings("22", "no-such-node"))


def test_no_node_at_all_is_one_clear_line(monkeypatch):
    monkeypatch.setattr(node, "wheel_node", lambda: None)
    with pytest.raises(NodeError, match="no Node found") as e:
        find_node()
    assert "\n" not in str(e.value)


def test_runtime_table_is_read_and_checked(tmp_path):
    assert node_settings(_project(tmp_path, 'node = "18"\n')) == NodeSettings("18", None)
    assert node_settings(_project(tmp_path, "node = 22\nnode_executable = \"node\"\n")) == NodeSettings("22", "node")
    with pytest.raises(NodeError, match="must be one of '18', '22'"):
        node_settings(_project(tmp_path, 'node = "16"\n'))
    with pytest.raises(NodeError, match="unknown key 'nod'"):
        node_settings(_project(tmp_path, 'nod = "22"\n'))


def test_version_notice_only_when_the_majors_differ():
    assert version_notice("22", "node v22.20.0") is None
    notice = version_notice("18", "node v22.20.0")
    assert "the tenant runs Node 18" in notice and "Node 22.20.0" in notice and "fetch" in notice
