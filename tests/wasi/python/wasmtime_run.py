# `wasmtime run` in miniature on the wasmtime Python package, for run.sh:
#   wasmtime_run.py [--env NAME=VALUE | --dir HOST[::GUEST]]... MODULE ARGS...
import sys

from wasmtime import Engine, ExitTrap, Linker, Module, Store, Trap, WasiConfig, WasmtimeError

argv = sys.argv[1:]
dirs, env = [], []
while argv and argv[0] in ("--dir", "--env"):
    (dirs if argv[0] == "--dir" else env).append(argv[1])
    argv = argv[2:]
module_path, args = argv[0], argv[1:]
engine = Engine()
config = WasiConfig()
config.argv = [module_path] + args
config.env = [tuple(e.split("=", 1)) for e in env]
config.inherit_stdin()
config.inherit_stdout()
config.inherit_stderr()
for d in dirs:
    host, _, guest = d.partition("::")
    config.preopen_dir(host, guest or host)
store = Store(engine)
store.set_wasi(config)
linker = Linker(engine)
linker.define_wasi()
try:
    linker.instantiate(store, Module.from_file(engine, module_path)).exports(store)["_start"](store)
except ExitTrap as e:
    sys.exit(e.code)
except (Trap, WasmtimeError) as e:
    print("error:", str(e).splitlines()[0], file=sys.stderr)
    sys.exit(134)
