; The Windows installer of dlhelper: per user, no administrator rights.
; mkdist runs: makensis -DVERSION=1.2.3 -DWINVERSION=1.2.3.0 -DPRODUCT="Name"
;   -DEXE=path\dlhelper.exe -DICON=path\dlhelper.ico -DOUTFILE=setup.exe installer.nsi
; Silent install for administrators: setup.exe /S ; silent uninstall:
; "%LOCALAPPDATA%\Programs\<PRODUCT>\uninstall.exe" /S
; It writes the same HKEY_CURRENT_USER keys as "dlhelper install" (see
; cmd/dlhelper/install_windows.go), so either uninstaller removes them.

; 64-bit like the helper it installs (and so it runs under wine64 in CI).
Target amd64-unicode
!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"

!ifndef VERSION | PRODUCT | EXE | OUTFILE | WINVERSION | ICON
  !error "run through mkdist: VERSION, WINVERSION, PRODUCT, EXE, ICON and OUTFILE must be defined"
!endif

!define CLASSKEY "Software\Classes\dlhelper"
!define RUNKEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\dlhelper"

Name "${PRODUCT}"
OutFile "${OUTFILE}"
; Per user: no UAC prompt, installs below the user's own folder.
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\${PRODUCT}"
SetCompressor /SOLID lzma
VIProductVersion "${WINVERSION}"
VIAddVersionKey /LANG=1033 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileDescription" "${PRODUCT} setup"
VIAddVersionKey /LANG=1033 "LegalCopyright" ""
!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"

!define MUI_FINISHPAGE_RUN "$INSTDIR\dlhelper.exe"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "SimpChinese"

LangString StopHelper ${LANG_ENGLISH} "Stopping the running ${PRODUCT}; its downloads resume when it starts again."
LangString StopHelper ${LANG_SIMPCHINESE} "正在停止运行中的 ${PRODUCT}；再次启动后下载会继续。"

Function .onInit
  SetShellVarContext current
FunctionEnd

Function un.onInit
  SetShellVarContext current
FunctionEnd

; A running helper holds its .exe open; it is stopped hard, which its
; engine survives (every byte claimed on disk was synced first).
!macro StopHelper
  DetailPrint "$(StopHelper)"
  nsExec::Exec 'taskkill /F /IM dlhelper.exe'
  Pop $0
!macroend

Section "Install"
  !insertmacro StopHelper
  SetOutPath "$INSTDIR"
  File "/oname=dlhelper.exe" "${EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; dlhelper:// links: the one-argument form, as "dlhelper install" writes it.
  WriteRegStr HKCU "${CLASSKEY}" "" "URL:dlhelper Protocol"
  WriteRegStr HKCU "${CLASSKEY}" "URL Protocol" ""
  WriteRegStr HKCU "${CLASSKEY}\DefaultIcon" "" '"$INSTDIR\dlhelper.exe",0'
  WriteRegStr HKCU "${CLASSKEY}\shell\open\command" "" '"$INSTDIR\dlhelper.exe" "%1"'
  ; Start at login.
  WriteRegStr HKCU "${RUNKEY}" "dlhelper" '"$INSTDIR\dlhelper.exe"'
  ; Start menu.
  CreateShortcut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\dlhelper.exe"
  ; "Apps" (Programs and Features) for this user, with its uninstaller.
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" '"$INSTDIR\dlhelper.exe",0'
  WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTKEY}" "EstimatedSize" $0
SectionEnd

; Removes what Install wrote; downloads, state and logs stay, as with
; "dlhelper uninstall".
Section "Uninstall"
  !insertmacro StopHelper
  Delete "$INSTDIR\dlhelper.exe"
  Delete "$INSTDIR\.dlhelper.exe.old"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  DeleteRegKey HKCU "${CLASSKEY}"
  DeleteRegValue HKCU "${RUNKEY}" "dlhelper"
  DeleteRegKey HKCU "${UNINSTKEY}"
SectionEnd
