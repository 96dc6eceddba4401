//! `kvs-bench`: a redis-benchmark-like load generator for kvs-server and Redis, built on the
//! client side of kvs-reactor. See the [`kvs_bench`] library and `kvs-bench --help`.

fn main() -> std::process::ExitCode {
    kvs_bench::main()
}
