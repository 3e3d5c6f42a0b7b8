# Authenticode-sign files with signtool, only when a certificate is provided:
#   SIGN_CERT           base64 of the code-signing certificate (.pfx with its private key)
#   SIGN_CERT_PASSWORD  the .pfx password
#   SIGN_TIMESTAMP_URL  optional RFC 3161 timestamp server (default: DigiCert's)
# Without SIGN_CERT it says so and exits 0, so unsigned builds still work.
# The certificate goes into the user's store and is selected by thumbprint: the password is never
# on a command line. Inno Setup calls this script as its Sign Tool for Setup and the uninstaller:
#   iscc /DSIGN "/Ssigntool=powershell -NoProfile -ExecutionPolicy Bypass -File packaging\windows\sign.ps1 $f" ...
param([Parameter(Mandatory = $true, ValueFromRemainingArguments = $true)][string[]]$Files)
$ErrorActionPreference = "Stop"

if (-not $env:SIGN_CERT) {
    Write-Host "SIGN_CERT not set: not signing $($Files -join ', ')"
    exit 0
}

$pfx = Join-Path ([System.IO.Path]::GetTempPath()) ("sign-" + [guid]::NewGuid() + ".pfx")
try {
    [System.IO.File]::WriteAllBytes($pfx, [System.Convert]::FromBase64String($env:SIGN_CERT))
    $password = ConvertTo-SecureString -String $env:SIGN_CERT_PASSWORD -AsPlainText -Force
    $cert = Import-PfxCertificate -FilePath $pfx -CertStoreLocation Cert:\CurrentUser\My -Password $password
} finally {
    Remove-Item -Force -ErrorAction SilentlyContinue $pfx
}
$thumbprint = ($cert | Where-Object { $_.HasPrivateKey } | Select-Object -First 1).Thumbprint
if (-not $thumbprint) { throw "the certificate in SIGN_CERT has no private key" }

# signtool ships with the Windows SDK, which is not on PATH: take the newest x64 one.
$signtool = Get-Command signtool.exe -ErrorAction SilentlyContinue | Select-Object -ExpandProperty Source
if (-not $signtool) {
    $signtool = Get-ChildItem "${env:ProgramFiles(x86)}\Windows Kits\10\bin\*\x64\signtool.exe" |
        Sort-Object FullName -Descending | Select-Object -First 1 -ExpandProperty FullName
}
if (-not $signtool) { throw "signtool.exe not found (install the Windows SDK)" }

$timestamp = if ($env:SIGN_TIMESTAMP_URL) { $env:SIGN_TIMESTAMP_URL } else { "http://timestamp.digicert.com" }
& $signtool sign /sha1 $thumbprint /fd sha256 /tr $timestamp /td sha256 /d "Custom DB Studio" @Files
if ($LASTEXITCODE -ne 0) { throw "signtool sign failed ($LASTEXITCODE)" }
& $signtool verify /pa @Files
if ($LASTEXITCODE -eq 1) { throw "signtool verify failed" }  # 2 means verified with warnings
