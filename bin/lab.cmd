@echo off
rem Run the `lab` CLI without activating a virtual environment (Windows).
rem First use: creates .venv beside this folder with the Python on PATH and installs the project.
setlocal
set "ROOT=%~dp0.."
set "VENV=%ROOT%\.venv"
set "PY=%VENV%\Scripts\python.exe"
set "STAMP=%VENV%\.mlops-lab-installed"
if exist "%STAMP%" goto run
if not exist "%PY%" (
    echo bin\lab: creating %VENV% ^(first use only^) 1>&2
    py -3 -m venv "%VENV%" 2>nul || python -m venv "%VENV%"
    if errorlevel 1 (
        echo bin\lab: no Python on PATH; install Python 3.11 or newer 1>&2
        exit /b 1
    )
)
rem The test tools (pytest, playwright ...) are installed by the first `bin\lab test`.
echo bin\lab: installing mlops-lab into %VENV% ^(a minute or two, once^) 1>&2
"%PY%" -m pip install --quiet --disable-pip-version-check --upgrade pip || exit /b 1
"%PY%" -m pip install --quiet --disable-pip-version-check -e "%ROOT%" || exit /b 1
type nul > "%STAMP%"
:run
"%PY%" -m lab %*
exit /b %ERRORLEVEL%
