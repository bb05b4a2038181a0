#!/usr/bin/env bash
# Packs TransferLearning and TransferLearning.ResNet18 as CI would (ContinuousIntegrationBuild), checks what the packages
# carry (README, icon, licence, repository metadata, SourceLink in the symbol packages' PDBs), then creates a throwaway app
# that references both from a local folder feed (plus TorchSharp-cpu), compiles the package README's example, runs the
# app, and checks that its output has ResNet18.onnx and no Microsoft.ML assembly.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "package smoke: $*" >&2; exit 1; }

for project in TransferLearning TransferLearning.ResNet18; do
  dotnet pack "$root/src/$project/$project.csproj" -c Release -o "$work/feed" -p:Version=0.0.0-smoke -p:ContinuousIntegrationBuild=true
done

# 1. Package contents and metadata.
for id in TransferLearning TransferLearning.ResNet18; do
  nupkg="$work/feed/$id.0.0.0-smoke.nupkg"
  snupkg="$work/feed/$id.0.0.0-smoke.snupkg"
  [ -f "$nupkg" ] || fail "$nupkg was not created"
  [ -f "$snupkg" ] || fail "$snupkg (symbols) was not created"
  files="$(unzip -Z1 "$nupkg")"
  for f in README.md icon.png; do
    grep -qx "$f" <<<"$files" || fail "$id.nupkg lacks $f"
  done
  nuspec="$(unzip -p "$nupkg" "$id.nuspec")"
  for pattern in '<license type="expression">MIT</license>' '<readme>README.md</readme>' '<icon>icon.png</icon>' \
                 '<projectUrl>https://' '<repository type="git" url="https://[^"]*"[^>]* commit="[0-9a-f]\{40\}"'; do
    grep -q "$pattern" <<<"$nuspec" || fail "$id.nuspec lacks $pattern"
  done
  if grep -q '](\(\.\|[a-zA-Z0-9_-]*/\)[^)]*)' <(unzip -p "$nupkg" README.md); then
    fail "$id's README.md has relative links (they break on the gallery)"
  fi
  if grep -qi 'Microsoft\.ML' <<<"$(grep '<dependency ' <<<"$nuspec")"; then
    fail "$id depends on a Microsoft.ML package"
  fi
  # Every PDB in the symbol package carries a SourceLink map to the repository at the packed commit, with CI paths.
  mkdir -p "$work/symbols/$id"
  (cd "$work/symbols/$id" && unzip -q "$snupkg")
  pdbs=$(find "$work/symbols/$id" -name '*.pdb')
  [ -n "$pdbs" ] || fail "$id.snupkg has no PDB"
  for pdb in $pdbs; do
    grep -aq '{"documents":{"/_/\*":"https://raw.githubusercontent.com/[^"]*/[0-9a-f]\{40\}/\*"}}' "$pdb" \
      || fail "$pdb has no SourceLink map to raw.githubusercontent.com with /_/ paths"
  done
  echo "package smoke: $id.nupkg has README, icon, licence and repository metadata; $(wc -w <<<"$pdbs") PDB(s) with SourceLink"
done
resnet_files="$(unzip -Z1 "$work/feed/TransferLearning.ResNet18.0.0.0-smoke.nupkg")"
grep -qx 'tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx' <<<"$resnet_files" || fail "TransferLearning.ResNet18.nupkg lacks ResNet18.onnx"

# 2. A consumer app.
mkdir -p "$work/app"
cp "$root/eng/package-smoke/Program.cs" "$work/app/"
# The package README's example must compile: its using line goes on top, its statements into a method never called.
awk '/^```csharp/{f=1;next} /^```/{if(f)exit} f' "$root/src/TransferLearning/PACKAGE.md" > "$work/example.txt"
{ grep -E '^using [A-Za-z.]+;' "$work/example.txt"; echo 'static class PackageReadmeExample { public static void Run() {'; grep -vE '^using [A-Za-z.]+;' "$work/example.txt"; echo '} }'; } > "$work/app/PackageReadmeExample.cs"
cat > "$work/app/SmokeApp.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
    <SelfContained>false</SelfContained>
    <RestorePackagesPath>$work/packages</RestorePackagesPath>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="TransferLearning" Version="0.0.0-smoke" />
    <PackageReference Include="TransferLearning.ResNet18" Version="0.0.0-smoke" />
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
dotnet build -c Release -o "$work/out" -warnaserror:NU1603
[ -f "$work/out/DnnImageModels/ResNet18Onnx/ResNet18.onnx" ] || fail "the app's output lacks DnnImageModels/ResNet18Onnx/ResNet18.onnx"
ml=$(find "$work/out" -iname 'Microsoft.ML*.dll' -o -iname '*onnxruntime*' | head -5)
[ -z "$ml" ] || fail "the app's output carries Microsoft.ML / ONNX Runtime files it does not use: $ml"
echo "package smoke: the app's output has ResNet18.onnx and no Microsoft.ML or ONNX Runtime file"
dotnet "$work/out/SmokeApp.dll"
