//! `--multi`: which reply of a transaction comes next. A transaction of `n` requests gets
//! `n + 2` replies, in order: `+OK` to MULTI, `+QUEUED` to each request, and EXEC's one reply,
//! the array of the `n` requests' own replies. Transactions are answered in the order they
//! were sent, so a queue of (size, replies seen so far) says what each reply answers.

use std::collections::VecDeque;

/// What a reply answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame {
    /// `MULTI`.
    Multi,
    /// A request queued in the transaction.
    Queued,
    /// `EXEC` of a transaction of this many requests.
    Exec(usize),
}

impl Frame {
    /// The reply a server that runs the transaction gives (EXEC's is the requests' replies).
    pub fn expected(self) -> &'static [u8] {
        match self {
            Frame::Multi => b"+OK\r\n",
            Frame::Queued => b"+QUEUED\r\n",
            Frame::Exec(_) => b"",
        }
    }

    /// What the reply answers, for messages.
    pub fn answers(self) -> &'static str {
        match self {
            Frame::Multi => "MULTI",
            Frame::Queued => "a queued request",
            Frame::Exec(_) => "EXEC",
        }
    }
}

/// The transactions in flight on one connection, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Transactions(VecDeque<Txn>);

#[derive(Debug)]
struct Txn {
    /// Requests in it.
    n: usize,
    /// Its replies seen so far.
    seen: usize,
}

impl Transactions {
    /// A transaction of `n` requests was sent.
    pub fn begin(&mut self, n: usize) {
        self.0.push_back(Txn { n, seen: 0 });
    }

    /// What the next reply answers; `None` if no reply is due.
    pub fn next(&mut self) -> Option<Frame> {
        let t = self.0.front_mut()?;
        let frame = match t.seen {
            0 => Frame::Multi,
            s if s <= t.n => Frame::Queued,
            _ => Frame::Exec(t.n),
        };
        t.seen += 1;
        if let Frame::Exec(_) = frame {
            self.0.pop_front();
        }
        Some(frame)
    }

    /// The connection is gone: no reply will come.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_follow_each_transaction_in_order() {
        let mut t = Transactions::default();
        assert_eq!(t.next(), None);
        t.begin(2);
        t.begin(1);
        let frames: Vec<Frame> = std::iter::from_fn(|| t.next()).collect();
        assert_eq!(
            frames,
            [
                Frame::Multi,
                Frame::Queued,
                Frame::Queued,
                Frame::Exec(2),
                Frame::Multi,
                Frame::Queued,
                Frame::Exec(1),
            ]
        );
        t.begin(3);
        assert_eq!(t.next(), Some(Frame::Multi));
        t.clear();
        assert_eq!(t.next(), None);
    }
}
