//! Dropping whole elements from the stream, for rules that remove rows or
//! blocks: a gate between the scanner and its output that discards an
//! element (its tags and everything inside) and the whitespace after it.
//!
//! The scanner asks for a drop when a rule calls
//! [`Edits::drop_element`](crate::xml::rules::Edits::drop_element) on a
//! start tag: it writes what precedes the tag, calls [`Sink::dropping`] with
//! `true`, and with `false` once the element's end tag has been written into
//! the gate. The [`Fixer`](crate::Fixer) puts the gate in front of its output
//! only when [`Rules::drops`](crate::xml::rules::Rules::drops), and keeps its
//! state between chunks, so where the input is split does not matter.

use crate::sink::Sink;

/// What the gate does with the bytes it is given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum DropMode {
    /// Passes them on.
    #[default]
    Pass,
    /// Inside a dropped element: discards them.
    Element,
    /// After a dropped element: discards whitespace, then passes the rest on.
    /// In a run of rows, one per line, the output is then as if the row
    /// had never been there.
    Trailing,
}

/// The output of a scanner whose rules may drop elements.
pub(crate) struct Gate<'a, S: Sink + ?Sized> {
    pub(crate) out: &'a mut S,
    pub(crate) mode: DropMode,
}

impl<S: Sink + ?Sized> Sink for Gate<'_, S> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        match self.mode {
            DropMode::Pass => self.out.put(bytes),
            DropMode::Element => {}
            DropMode::Trailing => {
                if let Some(k) = bytes.iter().position(|&c| !crate::chars::is_space(c)) {
                    self.mode = DropMode::Pass;
                    self.out.put(&bytes[k..]);
                }
            }
        }
    }

    fn dropping(&mut self, start: bool) {
        self.mode = if start {
            DropMode::Element
        } else {
            DropMode::Trailing
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::sink::CleanSink;
    use crate::xml::rules::{Edits, Rules, StartTag};
    use crate::xml::scanner::{Limits, XmlStage};

    /// Drops every `<x>` element.
    struct DropX;

    impl Rules for DropX {
        const SEES_TAGS: bool = true;
        const SEES_TEXT: bool = false;

        fn drops(&self) -> bool {
            true
        }

        fn start_tag(&mut self, tag: &StartTag<'_>, edits: &mut Edits) -> Result<(), Error> {
            if tag.name() == b"x" {
                edits.drop_element();
            }
            Ok(())
        }
    }

    fn scan(input: &[u8], cut: usize) -> Vec<u8> {
        let limits = Limits {
            max_token: 1 << 10,
            keep: 5,
        };
        let mut stage = XmlStage::new(DropX, limits);
        let mut out = Vec::new();
        let mut gate = Gate {
            out: &mut out,
            mode: DropMode::Pass,
        };
        let (a, b) = input.split_at(cut);
        let r = stage
            .clean(a, 0, &mut gate)
            .and_then(|()| stage.clean(b, cut as u64, &mut gate))
            .and_then(|()| stage.finish(&mut gate));
        assert!(r.is_ok(), "{r:?}");
        out
    }

    #[test]
    fn the_scanner_drops_whole_elements_wherever_the_input_is_cut() {
        let cases: [(&str, &str); 4] = [
            (
                "<r>\n  <a/>\n  <x k=\"1\">\n    <y>t&amp;<![CDATA[c]]><!-- - --></y>\n    <x/>\n  </x>\n  <b/>\n</r>",
                "<r>\n  <a/>\n  <b/>\n</r>",
            ),
            ("<r>\n  <a/>\n  <x/>\n</r>", "<r>\n  <a/>\n  </r>"),
            ("<r><x>&#1;</x>text</r>", "<r>text</r>"),
            ("<r>\n<x/> <x/>\n<a>  </a></r>", "<r>\n<a>  </a></r>"),
        ];
        for (input, want) in cases {
            for cut in 0..=input.len() {
                let out = scan(input.as_bytes(), cut);
                assert_eq!(String::from_utf8_lossy(&out), want, "cut at {cut}");
            }
        }
    }

    #[test]
    fn drops_the_element_and_the_whitespace_after_it() {
        let mut out = Vec::new();
        let mut gate = Gate {
            out: &mut out,
            mode: DropMode::Pass,
        };
        gate.put(b"<a>\n  <b/>\n  ");
        gate.dropping(true);
        gate.put(b"<gone x=\"1\"/>");
        gate.dropping(false);
        gate.put(b"\n ");
        gate.put(b" ");
        gate.put(b"<c/>\n");
        assert_eq!(gate.mode, DropMode::Pass);
        gate.put(b"</a>");
        assert_eq!(out, b"<a>\n  <b/>\n  <c/>\n</a>");
    }
}
