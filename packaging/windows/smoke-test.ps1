# Run `customdb-studio.exe --smoke-test` and fail the step unless it exits 0.
# The Windows build is a GUI (windowed) program: it has no console to print to, and a shell does not
# wait for it, so it writes its lines to a report file that is printed here, and it is waited for
# (with a time limit: a hung bundle must fail the build, not stall it).
param([Parameter(Mandatory = $true)][string]$Exe, [int]$TimeoutSeconds = 300)
$ErrorActionPreference = "Stop"
$Exe = (Resolve-Path $Exe).Path  # Start-Process wants a full path
$report = Join-Path ([System.IO.Path]::GetTempPath()) ("smoke-" + [guid]::NewGuid() + ".txt")
$p = Start-Process -FilePath $Exe -PassThru -ArgumentList "--smoke-test", "--report", "`"$report`""
$null = $p.Handle  # keep the handle open, or ExitCode is empty after the process ends
if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
    Stop-Process -Id $p.Id -Force
    if (Test-Path $report) { Get-Content $report }
    throw "smoke test did not finish within $TimeoutSeconds s"
}
if (Test-Path $report) { Get-Content $report } else { Write-Host "(no report written)" }
Write-Host "exit code: $($p.ExitCode)"
exit $p.ExitCode
