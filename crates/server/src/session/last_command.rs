//! CLIENT LIST's `cmd=`: the connection's last command, noted as each one is handled.

use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;

use super::Session;
use crate::cmd;

impl Session {
    /// Notes `args` as this connection's last command (CLIENT LIST's `cmd=`): a relaxed store,
    /// and a table lookup only when the command name changes (or has subcommands).
    pub(super) fn note_command(&mut self, args: &[Bytes]) {
        let name: &[u8] = args.first().map_or(&[], |a| a);
        let (buf, len) = &self.last_name;
        let same = *len == name.len() && buf.get(..*len) == Some(name);
        if same && !cmd::table::code_depends_on_subcommand(self.last_code) {
            return;
        }
        let code = cmd::table::command_code(args);
        if name.len() <= 16 {
            self.last_name.0[..name.len()].copy_from_slice(name);
            self.last_name.1 = name.len();
        } else {
            self.last_name.1 = usize::MAX;
        }
        if code != self.last_code {
            self.last_code = code;
            self.st.last_cmd.store(code, Relaxed);
        }
    }
}
