import subprocess, sys, struct, tempfile, os
from elftools.elf.elffile import ELFFile
from capstone import *
ARCH=".arch armv9.6-a+lse128+the+ls64+lsui+lsfe+gcs+rcpc3+mops+d128+mte+sve2+sme+fp16+bf16+sme2+sve2p1+sme2p1\n"
md=Cs(CS_ARCH_AARCH64, CS_MODE_ARM)
lines=[l.rstrip() for l in sys.stdin if l.strip()]
os.chdir(tempfile.mkdtemp())
for l in lines:
    with open('one.s','w') as f: f.write(ARCH+l+"\n")
    r=subprocess.run([sys.executable,'-m','ziglang','cc','-target','aarch64-linux-gnu','-c','one.s','-o','one.o'],capture_output=True,text=True)
    if r.returncode: print(f"{l:40s} ERR {r.stderr.strip().splitlines()[0][:90]}"); continue
    d=ELFFile(open('one.o','rb')).get_section_by_name('.text').data()
    w=struct.unpack('<I',d[:4])[0]
    b=format(w,'032b'); sp=' '.join([b[0:2],b[2:5],b[5],b[6:8],b[8],b[9],b[10],b[11:16],b[16],b[17:20],b[20:22],b[22:27],b[27:32]])
    cs=list(md.disasm_lite(d[:4],0))
    print(f"{l:40s} {w:08x} {sp}  {cs[0][2]+' '+cs[0][3] if cs else '-'}")
