; Inno Setup script: wraps the PyInstaller one-folder build (dist\customdb-studio\) into
; CustomDBStudio-<version>-setup.exe. Per-user install without admin rights, Start-menu entry,
; uninstaller, and the reproduction-bundle file type (.cdbbundle; "Open with" for .zip).
;
;   iscc packaging\windows\customdb-studio.iss                        (unsigned)
;   iscc /DSIGN "/Ssigntool=<signtool command with $f>" packaging\windows\customdb-studio.iss
;
; Optional defines (iscc /DName=Value): AppVersion (default: the ProductVersion that the spec wrote
; into customdb-studio.exe from pyproject.toml), DistDir, OutputDir, SIGN (sign Setup and the
; uninstaller with the Sign Tool named "signtool", defined by the /S option; see sign.ps1).
; Needs Inno Setup 6.3 or later (x64compatible).

#if PREPROCVER < EncodeVer(6, 3, 0, 0)
  #error Inno Setup 6.3 or later is required
#endif

#define AppName "Custom DB Studio"
#define AppPublisher "Custom DB Studio"
#define AppExeName "customdb-studio.exe"
#ifndef DistDir
  #define DistDir AddBackslash(SourcePath) + "..\..\dist\customdb-studio"
#endif
#ifndef OutputDir
  #define OutputDir AddBackslash(SourcePath) + "..\..\dist"
#endif
#ifndef AppVersion
  #define AppVersion GetStringFileInfo(AddBackslash(DistDir) + AppExeName, "ProductVersion")
#endif
#if AppVersion == ""
  #error No version in dist\customdb-studio\customdb-studio.exe: build it first (pyinstaller packaging/customdb-studio.spec) or pass /DAppVersion=X.Y.Z
#endif
; The reproduction bundle file type ("ProgID"), registered for the current user only.
#define BundleExt ".cdbbundle"
#define BundleProgId "CustomDBStudio.ReproductionBundle"
#define BundleName "Custom DB Studio reproduction bundle"

[Setup]
; AppId identifies the app for upgrades and the uninstaller: never change it.
AppId={{6F7C2B1E-4C8D-4E0B-9A55-2D3C1B7E9F40}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
; Per user, no UAC prompt: {autopf} is %LOCALAPPDATA%\Programs, HKA is HKCU, {autoprograms}
; the user's Start menu.
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; PySide6 6.11 needs Windows 10 1809 or later.
MinVersion=10.0.17763
ChangesAssociations=yes
CloseApplications=yes
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName}
SetupIconFile={#AddBackslash(SourcePath)}..\..\build\icons\customdb-studio.ico
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
OutputDir={#OutputDir}
OutputBaseFilename=CustomDBStudio-{#AppVersion}-setup
#ifdef SIGN
SignTool=signtool
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundled Python packages whole: stale modules of an older version must go.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Tasks: desktopicon

[Registry]
; .cdbbundle opens in the app; .zip only lists it under "Open with" (never takes .zip over).
Root: HKA; Subkey: "Software\Classes\{#BundleExt}"; ValueType: string; ValueName: ""; ValueData: "{#BundleProgId}"; Flags: uninsdeletevalue uninsdeletekeyifempty
Root: HKA; Subkey: "Software\Classes\{#BundleExt}\OpenWithProgids"; ValueType: string; ValueName: "{#BundleProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.zip\OpenWithProgids"; ValueType: string; ValueName: "{#BundleProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\{#BundleProgId}"; ValueType: string; ValueName: ""; ValueData: "{#BundleName}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#BundleProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExeName},0"
Root: HKA; Subkey: "Software\Classes\{#BundleProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExeName}"" ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExeName}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExeName}\SupportedTypes"; ValueType: string; ValueName: "{#BundleExt}"; ValueData: ""

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#StringChange(AppName, '&', '&&')}}"; Flags: nowait postinstall skipifsilent
