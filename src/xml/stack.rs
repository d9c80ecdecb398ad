//! The stack of open elements, with the line of each start tag for messages.
//!
//! Lines are filled in lazily (see [`ElementStack::unresolved`]): most
//! elements are closed before anyone needs to know their line.

/// One open element.
#[derive(Clone, Copy, Debug)]
struct Frame {
    /// End of the name in `names`.
    name_end: usize,
    /// Stream position of the `<`.
    pos: u64,
    /// Line of the `<`, once resolved.
    line: u64,
}

/// The open elements, innermost last.
#[derive(Debug, Default)]
pub(crate) struct ElementStack {
    names: Vec<u8>,
    frames: Vec<Frame>,
    /// Frames from this index on have no line yet.
    unresolved: usize,
}

impl ElementStack {
    pub(crate) fn push(&mut self, name: &[u8], pos: u64) {
        self.names.extend_from_slice(name);
        self.frames.push(Frame {
            name_end: self.names.len(),
            pos,
            line: 0,
        });
    }

    pub(crate) fn pop(&mut self) {
        if let Some(f) = self.frames.pop() {
            let start = self.frames.last().map_or(0, |p| p.name_end);
            debug_assert_eq!(f.name_end, self.names.len());
            self.names.truncate(start);
            self.unresolved = self.unresolved.min(self.frames.len());
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Number of open elements.
    pub(crate) fn depth(&self) -> usize {
        self.frames.len()
    }

    /// Bytes held for names.
    pub(crate) fn bytes(&self) -> usize {
        self.names.len()
    }

    /// The innermost open element's name and line.
    pub(crate) fn top(&self) -> Option<(&[u8], u64)> {
        let f = self.frames.last()?;
        let start = self
            .frames
            .len()
            .checked_sub(2)
            .map_or(0, |i| self.frames[i].name_end);
        Some((&self.names[start..f.name_end], f.line))
    }

    /// Stream positions of the frames whose line is not known yet, oldest first.
    pub(crate) fn unresolved(&self) -> impl Iterator<Item = u64> + '_ {
        self.frames[self.unresolved..].iter().map(|f| f.pos)
    }

    /// Sets the line of the oldest unresolved frame.
    pub(crate) fn resolve_next(&mut self, line: u64) {
        if let Some(f) = self.frames.get_mut(self.unresolved) {
            f.line = line;
            self.unresolved += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_pop_and_lazy_lines() {
        let mut s = ElementStack::default();
        s.push(b"root", 0);
        s.push(b"Issue", 10);
        assert_eq!(s.unresolved().collect::<Vec<_>>(), [0, 10]);
        s.resolve_next(1);
        s.resolve_next(2);
        assert_eq!(s.top(), Some((&b"Issue"[..], 2)));
        s.pop();
        assert_eq!(s.top(), Some((&b"root"[..], 1)));
        s.push(b"x", 20);
        assert_eq!(s.unresolved().collect::<Vec<_>>(), [20]);
        s.pop();
        s.pop();
        assert!(s.is_empty());
        assert_eq!(s.bytes(), 0);
    }
}
