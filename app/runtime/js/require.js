'use strict';
// The `require` a hosted-style script gets, over the offline module store (store/package.json,
// installed by `npm ci` into store/node_modules), and the per-run bookkeeping of the instrumented
// database drivers (drivers/*.js). The host (host.js) calls exactly this interface:
//
//   makeRequire(scriptPath)  the script's `require`: Node's built-ins, the store's modules (the
//                            database drivers instrumented), and the hosted `name@x.y.z` form,
//                            which means that exact version (as the hosted sandbox's verquire did)
//   beginRun(ctx)            ctx = {run, dryRun, timeoutS, sql(entry), finding(code, severity,
//                            message, extra), log(stream, text)}; entry = {statement, params,
//                            duration_ms, rows, error}, the shape of the Python host's `sql` events
//   await endRun(ctx, opts)  roll back (dry run) and close what the run left open, with a
//                            `connection-left-open` finding each
//   pendingWork(ctx)         whether connections of the run are still open
//   modules()                what the store offers: [{name, versions, default, servedBy?}]
//
// Store layout: a plain dependency NAME is the version an unversioned require('NAME') gets; an npm
// alias NAME--VERSION ("npm:NAME@VERSION") is the exact version require('NAME@VERSION') asks for.
// bcrypt is a native addon that cannot be installed offline on three systems, so bcryptjs (pure
// JavaScript, the same API) serves require('bcrypt') and require('bcrypt@x.y.z'), with a notice.

const fs = require('fs');
const path = require('path');
const Module = require('module');
const runs = require('./drivers/runs.js');

const STORE = process.env.CUSTOMDB_JS_STORE || path.join(__dirname, 'store');
const NODE_MODULES = path.join(STORE, 'node_modules');
const STAND_INS = { bcrypt: 'bcryptjs' }; // asked for -> what serves it
const ALIAS = /^(.+)--(\d[^/]*)$/;
const DRIVERS = {
  pg: './drivers/pg.js',
  mysql: './drivers/mysql.js',
  mysql2: './drivers/mysql2.js',
  tedious: './drivers/tedious.js',
  mssql: './drivers/mssql.js',
  mongodb: './drivers/mongodb.js',
};

class ModuleNotAvailable extends Error {
  constructor(message) {
    super(message);
    this.name = 'Error';
    this.code = 'MODULE_NOT_FOUND';
  }
}

let catalogue = null; // name -> {default: {version, key} | null, versions: Map(version -> key)}

function packageVersion(key) {
  try {
    return JSON.parse(fs.readFileSync(path.join(NODE_MODULES, key, 'package.json'), 'utf8')).version;
  } catch (e) {
    return null; // declared but not installed (npm ci not run): not offered
  }
}

function loadCatalogue() {
  if (catalogue) return catalogue;
  catalogue = new Map();
  let deps = {};
  try {
    deps = JSON.parse(fs.readFileSync(path.join(STORE, 'package.json'), 'utf8')).dependencies || {};
  } catch (e) {
    deps = {};
  }
  for (const key of Object.keys(deps)) {
    const version = packageVersion(key);
    if (!version) continue;
    const alias = ALIAS.exec(key);
    const name = alias ? alias[1] : key;
    if (!catalogue.has(name)) catalogue.set(name, { default: null, versions: new Map() });
    const item = catalogue.get(name);
    if (!alias) item.default = { version, key };
    if (!item.versions.has(version)) item.versions.set(version, key);
  }
  return catalogue;
}

function compareVersions(a, b) {
  const pa = a.split(/[.+-]/).map((p) => parseInt(p, 10) || 0);
  const pb = b.split(/[.+-]/).map((p) => parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    if ((pa[i] || 0) !== (pb[i] || 0)) return (pb[i] || 0) - (pa[i] || 0);
  }
  return 0;
}

function modules() {
  const list = [];
  for (const [name, item] of loadCatalogue()) {
    list.push({ name, versions: [...item.versions.keys()].sort(compareVersions), default: item.default && item.default.version });
  }
  for (const [asked, served] of Object.entries(STAND_INS)) {
    const item = loadCatalogue().get(served);
    // any version: require('bcrypt@0.8.5') is served by the stand-in's default too
    if (item) list.push({ name: asked, versions: ['*'], default: item.default && item.default.version, servedBy: served });
  }
  return list.sort((a, b) => a.name.localeCompare(b.name));
}

function describeAvailable(name) {
  const item = loadCatalogue().get(STAND_INS[name] || name);
  if (!item) return null;
  const versions = [...item.versions.keys()].sort(compareVersions);
  return versions.map((v) => `${name}@${v}${item.default && item.default.version === v ? ' (the default)' : ''}`).join(', ');
}

// 'mongodb@3.1.4' -> {name: 'mongodb', version: '3.1.4', sub: ''}; '@scope/x@1/y' and 'lodash/fp' too.
function parseRequest(id) {
  const match = /^((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?(\/.*)?$/.exec(id);
  if (!match) return null;
  return { name: match[1], version: match[2] || null, sub: match[3] || '' };
}

function notAvailable(ctx, id, message) {
  if (ctx) ctx.finding('module-not-available', 'error', message, { module: id });
  return new ModuleNotAvailable(message);
}

const storeRequire = Module.createRequire(path.join(STORE, 'package.json'));
const instrumented = new WeakMap(); // a loaded module -> what the script gets for it

function loadPackage(key, name, version, sub) {
  const id = key + sub;
  let file;
  try {
    file = storeRequire.resolve(id);
  } catch (e) {
    return { missing: true };
  }
  if (!file.startsWith(NODE_MODULES + path.sep)) return { missing: true }; // never from outside the store
  if (!DRIVERS[name]) return { value: storeRequire(id) };
  // A driver: instrument the package (once per loaded copy), whichever part of it the script asks for.
  const main = storeRequire(key);
  if (!instrumented.has(main)) {
    const driver = require(DRIVERS[name]);
    const packageDir = path.join(NODE_MODULES, key);
    instrumented.set(main, driver.instrument(main, { name, version, packageDir, instrumentDependency }) || main);
  }
  return { value: sub ? storeRequire(id) : instrumented.get(main) };
}

// A driver that loads another driver from its own dependencies (mssql -> tedious) instruments that copy.
function instrumentDependency(fromDir, name) {
  const fromRequire = Module.createRequire(path.join(fromDir, 'package.json'));
  const mod = fromRequire(name);
  if (!instrumented.has(mod)) {
    const driver = require(DRIVERS[name]);
    instrumented.set(mod, driver.instrument(mod, { name, version: null, packageDir: null, instrumentDependency }) || mod);
  }
  return instrumented.get(mod);
}

function makeRequire(scriptPath) {
  const nodeRequire = Module.createRequire(scriptPath || path.join(process.cwd(), 'script.js'));
  function require(id) {
    const ctx = runs.current();
    if (typeof id !== 'string' || id === '') {
      throw new TypeError(`The "id" argument must be a non-empty string. Received ${typeof id === 'string' ? "''" : typeof id}`);
    }
    const bare = id.startsWith('node:') ? id.slice(5) : id;
    if (Module.isBuiltin ? Module.isBuiltin(id) : Module.builtinModules.includes(bare)) return nodeRequire(id);
    if (id.startsWith('.') || path.isAbsolute(id)) {
      throw notAvailable(ctx, id, `Cannot find module '${id}': a hosted script is one file and cannot require `
        + 'other files; put the helper code into the script itself');
    }
    const request = parseRequest(id);
    if (!request) throw notAvailable(ctx, id, `Cannot find module '${id}': not a module name`);
    const served = STAND_INS[request.name] || request.name;
    const item = loadCatalogue().get(served);
    let key = null;
    // a stand-in serves every version of what it stands in for (bcrypt@0.8.5 -> bcryptjs)
    if (item) key = request.version && served === request.name ? item.versions.get(request.version) || null : (item.default && item.default.key);
    if (!key) {
      const available = describeAvailable(request.name);
      const wanted = request.version ? `${request.name}@${request.version}` : request.name;
      const message = available
        ? `Cannot find module '${id}': ${wanted} is not in the offline module store; it has ${available}`
        : `Cannot find module '${id}': ${request.name} is not in the offline module store `
          + `(it has ${[...loadCatalogue().keys(), ...Object.keys(STAND_INS)].sort().join(', ') || "nothing: run 'make js-store'"}, and Node's built-ins)`;
      throw notAvailable(ctx, id, message);
    }
    const loaded = loadPackage(key, served, request.version, request.sub);
    if (loaded.missing) {
      throw notAvailable(ctx, id, `Cannot find module '${id}': ${request.sub ? `${request.sub.slice(1)} is not part of ` : ''}`
        + `${served}@${packageVersion(key)} in the offline module store`);
    }
    if (served !== request.name && ctx) runs.notice(ctx, `stand-in:${request.name}`, 'module-stand-in', 'info',
      `require('${id}') is served by ${served}@${packageVersion(key)} (pure JavaScript, the same API): `
      + `the native ${request.name} addon cannot be shipped offline; hashes and results are the same, ${served} is slower`,
      { module: id, servedBy: `${served}@${packageVersion(key)}` });
    return loaded.value;
  }
  require.resolve = (id) => {
    const request = parseRequest(id);
    if (request && !id.startsWith('.') && !(Module.isBuiltin && Module.isBuiltin(id))) {
      const item = loadCatalogue().get(STAND_INS[request.name] || request.name);
      const stand = STAND_INS[request.name];
      const key = item && (request.version && !stand ? item.versions.get(request.version) : item.default && item.default.key);
      if (key) return storeRequire.resolve(key + request.sub);
    }
    return nodeRequire.resolve(id);
  };
  require.cache = nodeRequire.cache;
  return require;
}

module.exports = {
  makeRequire,
  beginRun: runs.beginRun,
  endRun: runs.endRun,
  pendingWork: runs.pendingWork,
  modules,
  ModuleNotAvailable,
  STORE,
};
