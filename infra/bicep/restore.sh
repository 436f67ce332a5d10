#!/usr/bin/env bash
# Restores the Bicep CLI (NuGet package Azure.Bicep.CommandLine.linux-x64, the version bicep.csproj names)
# into infra/bicep/.tools with dotnet, once, and prints the path of the bicep binary on stdout.
# Usage: bicep="$(infra/bicep/restore.sh)"
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(sed -n 's/.*"Azure.Bicep.CommandLine.linux-x64" Version="\[\([^]]*\)\]".*/\1/p' "$here/bicep.csproj")"
bicep="$here/.tools/packages/azure.bicep.commandline.linux-x64/$version/tools/bicep"
if [ ! -x "$bicep" ]; then
  if ! command -v dotnet >/dev/null; then
    echo "restore.sh: dotnet is needed to restore the Bicep CLI from NuGet (the .NET SDK)." >&2
    exit 1
  fi
  # Everything restore writes (packages, obj/) stays under .tools.
  dotnet restore "$here/bicep.csproj" --packages "$here/.tools/packages" \
    -p:BaseIntermediateOutputPath="$here/.tools/obj/" -p:MSBuildProjectExtensionsPath="$here/.tools/obj/" >&2
  chmod +x "$bicep"
fi
echo "$bicep"
