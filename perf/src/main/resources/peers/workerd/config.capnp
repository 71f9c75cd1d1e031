# workerd serving the peer comparison's two targets (see perf/README.md):
#   POST /hello  the request body echoed by JavaScript
#   POST /wasm   the request body echoed by echo.wasm, the same module Kiln serves
# The socket address is given on the command line: --socket-addr http=127.0.0.1:PORT
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .echoWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8080", http = (), service = "main") ],
);

const echoWorker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "echo.wasm", wasm = embed "echo.wasm"),
  ],
  compatibilityDate = "2024-09-23",
);
