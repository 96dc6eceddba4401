//! `kvs-bench`: a redis-benchmark-like load generator for kvs-server and Redis, built on the
//! client side of kvs-reactor. See [`kvs_server::bench`] and `kvs-bench --help`.

fn main() -> std::process::ExitCode {
    kvs_server::bench::main()
}
