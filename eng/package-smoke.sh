#!/usr/bin/env bash
# Packs TransferLearning, creates a throwaway app that references the .nupkg from a local folder feed (plus
# TorchSharp-cpu), and runs it: proves that a package consumer gets a TorchSharp that loads on this machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

dotnet pack "$root/src/TransferLearning/TransferLearning.csproj" -c Release -o "$work/feed" -p:Version=0.0.0-smoke
mkdir -p "$work/app"
cp "$root/eng/package-smoke/Program.cs" "$work/app/"
cat > "$work/app/SmokeApp.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <RestorePackagesPath>$work/packages</RestorePackagesPath>
    <NoWarn>\$(NoWarn);NU1603</NoWarn>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="TransferLearning" Version="0.0.0-smoke" />
    <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
  </ItemGroup>
</Project>
XML
cat > "$work/app/nuget.config" <<XML
<configuration>
  <packageSources>
    <add key="local" value="$work/feed" />
  </packageSources>
  <fallbackPackageFolders>
    <add key="user" value="${NUGET_PACKAGES:-$HOME/.nuget/packages}" />
  </fallbackPackageFolders>
</configuration>
XML
# The local feed comes first; everything else comes from the machine's configured sources.
cd "$work/app"
dotnet run -c Release
