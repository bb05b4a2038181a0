#!/bin/sh
# Rebuilds this folder from Debian's sweethome3d-furniture package (icons of CC0 / CC-BY 3.0 furniture catalogues).
# Needs apt-get (download only, nothing is installed), dpkg-deb, unzip and python3 (standard library only).
# Usage: samples/QuickStart/data/make-dataset.sh   (run from anywhere; rewrites the class folders and ATTRIBUTION.md)
set -eu
OUT=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
apt-get download sweethome3d-furniture
dpkg-deb -x sweethome3d-furniture_*_all.deb ex
for f in ex/usr/share/sweethome3d/furniture/*.sh3f; do
  n=$(basename "$f" .sh3f); mkdir -p "un/$n"; unzip -q -o "$f" -d "un/$n"
done
rm -rf "$OUT/bathroom" "$OUT/characters" "$OUT/doors_and_windows" "$OUT/lights" "$OUT/vehicles"
python3 - "$WORK/un" "$OUT" <<'PY'
import json,os,re,struct,sys,zlib
def read_png(path):
    data=open(path,'rb').read()
    assert data[:8]==b'\x89PNG\r\n\x1a\n'
    pos=8; idat=b''; plte=None; trns=None
    while pos<len(data):
        ln,typ=struct.unpack('>I4s',data[pos:pos+8]); body=data[pos+8:pos+8+ln]; pos+=12+ln
        if typ==b'IHDR': w,h,bd,ct,_,_,il=struct.unpack('>IIBBBBB',body)
        elif typ==b'IDAT': idat+=body
        elif typ==b'PLTE': plte=body
        elif typ==b'tRNS': trns=body
    assert bd==8 and il==0, (path,bd,il)
    ch={6:4,2:3,0:1,4:2,3:1}[ct]
    raw=zlib.decompress(idat); stride=w*ch; out=bytearray(); prev=bytearray(stride); i=0
    for y in range(h):
        f=raw[i]; line=bytearray(raw[i+1:i+1+stride]); i+=1+stride
        for x in range(stride):
            a=line[x-ch] if x>=ch else 0; b=prev[x]; c=prev[x-ch] if x>=ch else 0
            if f==1: line[x]=(line[x]+a)&255
            elif f==2: line[x]=(line[x]+b)&255
            elif f==3: line[x]=(line[x]+((a+b)>>1))&255
            elif f==4:
                p=a+b-c; pa=abs(p-a); pb=abs(p-b); pc=abs(p-c)
                pr=a if pa<=pb and pa<=pc else (b if pb<=pc else c)
                line[x]=(line[x]+pr)&255
        out+=line; prev=line
    px=[]
    for k in range(w*h):
        if ct==6: r,g,b_,al=out[4*k:4*k+4]
        elif ct==2: r,g,b_=out[3*k:3*k+3]; al=255
        elif ct==0: r=g=b_=out[k]; al=255
        elif ct==4: r=g=b_=out[2*k]; al=out[2*k+1]
        elif ct==3:
            idx=out[k]; r,g,b_=plte[3*idx:3*idx+3]; al=trns[idx] if trns and idx<len(trns) else 255
        px.append((r,g,b_,al))
    return w,h,px
def write_rgb_png(path,w,h,px):
    raw=bytearray()
    for y in range(h):
        raw.append(0)
        for x in range(w):
            r,g,b,a=px[y*w+x]
            raw+=bytes(((r*a+255*(255-a)+127)//255,(g*a+255*(255-a)+127)//255,(b*a+255*(255-a)+127)//255))
    def chunk(t,b): return struct.pack('>I',len(b))+t+b+struct.pack('>I',zlib.crc32(t+b)&0xffffffff)
    png=b'\x89PNG\r\n\x1a\n'+chunk(b'IHDR',struct.pack('>IIBBBBB',w,h,8,2,0,0,0))+chunk(b'IDAT',zlib.compress(bytes(raw),9))+chunk(b'IEND',b'')
    open(path,'wb').write(png)
def flatten(px):
    return [((r*a+255*(255-a)+127)//255,(g*a+255*(255-a)+127)//255,(b*a+255*(255-a)+127)//255,255) for r,g,b,a in px]
def resize_area(w,h,px,W,H):
    # pad to square on white (keep aspect), then area-average
    S=max(w,h); ox=(S-w)//2; oy=(S-h)//2
    sq=[(255,255,255,255)]*(S*S)
    for y in range(h):
        sq[(y+oy)*S+ox:(y+oy)*S+ox+w]=px[y*w:(y+1)*w]
    out=[]
    for Y in range(H):
        y0=Y*S/H; y1=(Y+1)*S/H
        for X in range(W):
            x0=X*S/W; x1=(X+1)*S/W
            acc=[0.0,0.0,0.0]; tot=0.0
            for yy in range(int(y0),min(S,int(-(-y1//1)))):
                wy=min(y1,yy+1)-max(y0,yy)
                if wy<=0: continue
                for xx in range(int(x0),min(S,int(-(-x1//1)))):
                    wx=min(x1,xx+1)-max(x0,xx)
                    if wx<=0: continue
                    p=sq[yy*S+xx]; wt=wx*wy; tot+=wt
                    acc[0]+=p[0]*wt; acc[1]+=p[1]*wt; acc[2]+=p[2]*wt
            out.append((round(acc[0]/tot),round(acc[1]/tot),round(acc[2]/tot),255))
    return out
root, out = sys.argv[1], sys.argv[2]
items = []
for cat in sorted(os.listdir(root)):
    props = {}
    for line in open(os.path.join(root, cat, 'PluginFurnitureCatalog.properties'), encoding='latin-1').read().splitlines():
        if '=' in line and not line.startswith('#'):
            k, v = line.split('=', 1); props[k.strip()] = v.encode('latin-1').decode('unicode_escape').strip()
    for k, v in props.items():
        m = re.match(r'icon#(\d+)$', k)
        if m:
            n = m.group(1)
            items.append(dict(catalog=cat, n=int(n), icon=v, name=props.get('name#' + n), category=props.get('category#' + n), creator=props.get('creator#' + n)))
cats={'Bathroom':'bathroom','Characters':'characters','Doors and windows':'doors_and_windows','Lights':'lights','Vehicles':'vehicles'}
os.makedirs(out,exist_ok=True)
rows=[]
lic_short={'BlendSwap-CC-0':'CC0 1.0 (public domain)','BlendSwap-CC-BY':'CC BY 3.0','KatorLegaz':'CC BY 3.0 US','Reallusion':'CC BY 3.0 US','Scopia':'CC BY 3.0 Unported'}
for it in sorted(items,key=lambda i:(i['category'] or '',i['catalog'],i['n'])):
    c=cats.get(it['category'])
    if not c: continue
    src=root+'/'+it['catalog']+it['icon']
    base=os.path.splitext(os.path.basename(it['icon']))[0]
    fn=re.sub(r'[^a-z0-9_-]','-',(it['catalog'].lower()+'_'+base).lower())+".png"
    d=os.path.join(out,c); os.makedirs(d,exist_ok=True)
    w,h,px=read_png(src); px=flatten(px)
    if (w,h)!=(128,128): px=resize_area(w,h,px,128,128); w=h=128
    write_rgb_png(os.path.join(d,fn),w,h,px)
    rows.append((c+'/'+fn,it['name'],it['creator'] or it['catalog'],lic_short[it['catalog']],it['catalog']+'.sh3f'+it['icon']))
with open(os.path.join(out,'ATTRIBUTION.md'),'w') as f:
    f.write('''# Quick-start images: attribution

These %d images are the 128x128 catalogue icons (renders of 3D models) of Debian's `sweethome3d-furniture` package
(version 1.8-1, `/usr/share/sweethome3d/furniture/*.sh3f`), flattened on a white background (larger
icons area-resampled to 128x128) and written as RGB PNG by `make-dataset.sh`. Only items from catalogues whose licence allows redistribution with attribution are
used; each catalogue's licence is the `license=` line of its `PluginFurnitureCatalog.properties`:

- `BlendSwap-CC-0.sh3f`: public domain (CC0 1.0).
- `BlendSwap-CC-BY.sh3f`: Creative Commons Attribution 3.0; credit the creator named below.
- `KatorLegaz.sh3f`: Creative Commons Attribution 3.0 United States, (c) 2003-2008 Andrew Kator & Jennifer Legaz.
- `Reallusion.sh3f`: Creative Commons Attribution 3.0 United States, (c) 2008-2016 Reallusion.
- `Scopia.sh3f`: Creative Commons Attribution 3.0 Unported, (c) Emmanuel Puybaret / eTeks and Scopia Visual Interfaces Systems.

Classes are the catalogue categories: Bathroom, Characters, Doors and windows, Lights, Vehicles.

| File | Item | Creator | Licence | Source (catalogue file and icon) |
|---|---|---|---|---|
''' % len(rows))
    for r in rows:
        f.write('| '+' | '.join(x.replace('|','/') for x in r)+' |\n')
print(len(rows), 'images written to', out)
PY
