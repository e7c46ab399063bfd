#!/usr/bin/env pwsh
# Builds the release: both static binaries (linux-x64, linux-arm64), one archive and one .deb per target and
# SHA256SUMS in artifacts/release/. All logic is in packaging/release.proj (MSBuild); this script only
# runs it, so the same build works without PowerShell:
#   dotnet msbuild packaging/release.proj -restore
# Extra arguments are passed to MSBuild, e.g. ./publish.ps1 -p:Version=0.2.0
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
dotnet msbuild (Join-Path $PSScriptRoot 'packaging/release.proj') -restore -nologo @args
exit $LASTEXITCODE
