# A CPython script for the real-program check (run.sh): files, directories, symlinks, times,
# stdin, environment, arguments, clocks, randomness, and the sandbox, through Python's own
# standard library. Everything it prints is deterministic, so runtimes can be compared.
import collections, glob, hashlib, json, math, os, pathlib, random, re, select, shutil, stat, sys, time, zipfile

print("argv:", sys.argv)
print("env:", sorted(os.environ.items()))
print("platform:", sys.platform, sys.version_info[:2])
d = pathlib.Path("/data")
print("listdir:", sorted(os.listdir(d)))
print("json:", json.loads((d / "in.json").read_text()))
(d / "out/deep").mkdir(parents=True)
with open(d / "out/deep/result.txt", "w") as f:
    for i in range(5):
        f.write(f"{i} {math.sqrt(i):.4f}\n")
with open(d / "out/deep/result.txt", "a") as f:
    f.write("tail\n")
print("size:", os.stat(d / "out/deep/result.txt").st_size)
os.rename(d / "out/deep/result.txt", d / "out/result.txt")
os.rmdir(d / "out/deep")
print("walk:", [(p.replace("/data", ""), sorted(ds), sorted(fs)) for p, ds, fs in os.walk(d)])
with open(d / "out/result.txt", "rb") as f:
    f.seek(2)
    print("seek:", f.read(6), f.tell())
print("sha256:", hashlib.sha256((d / "out/result.txt").read_bytes()).hexdigest())
for i in range(30):
    (d / "tree/a").mkdir(parents=True, exist_ok=True)
    (d / "tree/a" / f"f{i:02}.txt").write_text("x" * i)
(d / "tree/a/b").mkdir()
(d / "tree/a/b/deep.bin").write_bytes(bytes(range(256)) * 40)
shutil.copytree(d / "tree", d / "copy")
print("glob:", len(glob.glob("/data/copy/**/*", recursive=True)))
with zipfile.ZipFile("/data/z.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for f in sorted((d / "copy").rglob("*")):
        if f.is_file():
            z.writestr(str(f.relative_to(d)), f.read_bytes())
with zipfile.ZipFile("/data/z.zip") as z:
    print("zip:", len(z.namelist()), z.testzip(), sum(i.file_size for i in z.infolist()))
shutil.rmtree(d / "copy")
os.remove(d / "z.zip")
os.symlink("tree/a", "/data/alink")
print("symlink:", os.path.islink("/data/alink"), os.readlink("/data/alink"), len(os.listdir("/data/alink")))
print("realpath:", os.path.realpath("/data/alink/b"))
os.utime("/data/out/result.txt", (1000000000, 1200000000))
st = os.stat("/data/out/result.txt")
print("utime:", st.st_atime, st.st_mtime, stat.S_ISREG(st.st_mode))
fd = os.open("/data/raw", os.O_RDWR | os.O_CREAT)
os.write(fd, b"abcdef")
os.lseek(fd, 1, 0)
print("pread:", os.pread(fd, 3, 2), os.read(fd, 2))
os.ftruncate(fd, 2)
print("ftruncate:", os.fstat(fd).st_size)
os.close(fd)
try:
    os.close(fd)
except OSError as e:
    print("double close:", e.errno == 8)
os.chdir("/data/tree")
print("relative:", sorted(os.listdir(".")), os.path.exists("../raw"))
os.chdir("/data")
try:
    os.rmdir("/data/tree")
except OSError as e:
    print("rmdir non-empty:", type(e).__name__)
print("scandir:", sorted((e.name, e.is_dir(), e.is_symlink()) for e in os.scandir("/data")))
for path in ["/data/../etc/passwd", "/data/alink/../../../etc/passwd"]:
    try:
        open(path)
        print("ESCAPED:", path)
    except OSError as e:
        print("refused:", path, type(e).__name__)
try:
    open("/etc/passwd")
    print("ESCAPED: /etc/passwd")
except OSError as e:
    print("refused: /etc/passwd", type(e).__name__)
t0 = time.monotonic()
time.sleep(0.05)
print("slept:", time.monotonic() - t0 >= 0.05, "time:", time.time() > 1.6e9)
print("urandom:", len(os.urandom(16)), os.urandom(8) != os.urandom(8))
random.seed(42)
print("random:", [random.randint(0, 100) for _ in range(5)])
r, _, _ = select.select([sys.stdin], [], [], 5.0)
print("select stdin:", len(r))
print("stdin:", sys.stdin.readline().strip().upper(), len(sys.stdin.read()))
words = collections.Counter(re.findall(r"\w+", "the quick brown fox jumps over the lazy dog the end"))
print("counter:", words.most_common(2), "big:", 2**200 % 1000007, math.factorial(25))
sys.stdout.flush()
sys.exit(3)
