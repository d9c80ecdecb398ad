//! Dropping whole elements from the stream, for rules that remove rows or
//! blocks: a gate between the scanner and its output that discards an
//! element (its tags and everything inside) and, when it stands on lines of
//! its own, those lines: the output is then the input without them.
//!
//! The scanner asks for a drop when a rule calls
//! [`Edits::drop_element`](crate::xml::rules::Edits::drop_element) on a
//! start tag: it writes what precedes the tag, calls [`Sink::dropping`] with
//! `true`, and with `false` once the element's end tag has been written into
//! the gate. The [`Fixer`](crate::Fixer) puts the gate in front of its output
//! only when [`Rules::drops`](crate::xml::rules::Rules::drops), and keeps its
//! [`DropState`] between chunks, so where the input is split does not matter.
//!
//! Either the element's lines go entirely, or exactly the element's bytes:
//! when only spaces and tabs stand before the element on its first line and
//! after it on its last one, the lines go, line break included; otherwise
//! only the element goes (`<a/> <x/> <b/>` gives `<a/>  <b/>`). To know,
//! the gate holds back the spaces and tabs that end what it has passed on
//! and, after a dropped element, those that follow it.

use crate::sink::Sink;

/// Held spaces and tabs longer than this go out: real indentation is short,
/// and what the gate holds stays bounded whatever the input.
const MAX_HELD: usize = 4096;

/// What the gate does with the bytes it is given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum DropMode {
    /// Passes them on, holding back trailing spaces and tabs.
    #[default]
    Pass,
    /// Inside a dropped element: discards them.
    Element,
    /// After a dropped element: holds spaces and tabs; a line break then
    /// ends the dropped line (discarded), anything else is kept.
    Trailing,
    /// After a dropped element, a `\r` was seen: a `\n` belongs to it.
    TrailingCr,
}

/// The gate's state between chunks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DropState {
    pub(crate) mode: DropMode,
    /// Spaces and tabs that ended what was passed on (held back).
    indent: Vec<u8>,
    /// Spaces and tabs after a dropped element (held back).
    after: Vec<u8>,
    /// The last byte passed on other than a space or tab was a line break
    /// (or none was passed yet).
    line_start: bool,
    /// The element being dropped began its line.
    own_line: bool,
}

impl Default for DropState {
    fn default() -> Self {
        Self {
            mode: DropMode::Pass,
            indent: Vec::new(),
            after: Vec::new(),
            line_start: true,
            own_line: false,
        }
    }
}

/// The output of a scanner whose rules may drop elements.
pub(crate) struct Gate<'a, S: Sink + ?Sized> {
    pub(crate) out: &'a mut S,
    pub(crate) state: &'a mut DropState,
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

impl<S: Sink + ?Sized> Gate<'_, S> {
    /// Writes what is held back: at the end of the stream.
    pub(crate) fn finish(&mut self) {
        let st = &mut *self.state;
        if st.mode == DropMode::Trailing && st.own_line {
            // The stream ended on the dropped element's own line.
            st.indent.clear();
            st.after.clear();
        }
        self.out.put(&st.indent);
        self.out.put(&st.after);
        st.indent.clear();
        st.after.clear();
        st.mode = DropMode::Pass;
    }

    /// Passes `bytes` on, holding back the spaces and tabs that end them.
    fn pass(&mut self, bytes: &[u8]) {
        let st = &mut *self.state;
        let keep = bytes.len() - bytes.iter().rev().take_while(|&&c| is_blank(c)).count();
        if keep > 0 {
            self.out.put(&st.indent);
            st.indent.clear();
            self.out.put(&bytes[..keep]);
            st.line_start = matches!(bytes[keep - 1], b'\n' | b'\r');
        }
        st.indent.extend_from_slice(&bytes[keep..]);
        if st.indent.len() > MAX_HELD {
            self.out.put(&st.indent);
            st.indent.clear();
        }
    }
}

impl<S: Sink + ?Sized> Sink for Gate<'_, S> {
    #[inline]
    fn put(&mut self, mut bytes: &[u8]) {
        loop {
            let st = &mut *self.state;
            match st.mode {
                DropMode::Pass => return self.pass(bytes),
                DropMode::Element => return,
                DropMode::TrailingCr => {
                    if bytes.is_empty() {
                        return;
                    }
                    if bytes[0] == b'\n' {
                        bytes = &bytes[1..];
                    }
                    st.mode = DropMode::Pass;
                }
                DropMode::Trailing => {
                    let blanks = bytes.iter().take_while(|&&c| is_blank(c)).count();
                    st.after.extend_from_slice(&bytes[..blanks]);
                    bytes = &bytes[blanks..];
                    match bytes.first() {
                        None if st.after.len() <= MAX_HELD => return,
                        Some(b'\n') if st.own_line => {
                            // The element had its line(s) to itself: all go.
                            st.indent.clear();
                            st.after.clear();
                            bytes = &bytes[1..];
                            st.mode = DropMode::Pass;
                        }
                        Some(b'\r') if st.own_line => {
                            st.indent.clear();
                            st.after.clear();
                            bytes = &bytes[1..];
                            st.mode = DropMode::TrailingCr;
                        }
                        _ => {
                            // The line holds more than the element: keep
                            // the spaces around it, lose only the element.
                            self.out.put(&st.indent);
                            self.out.put(&st.after);
                            st.indent.clear();
                            st.after.clear();
                            st.mode = DropMode::Pass;
                        }
                    }
                }
            }
        }
    }

    fn dropping(&mut self, start: bool) {
        let st = &mut *self.state;
        if start {
            // A drop right after another on the same line keeps the first's
            // judgement of whether the line began with it.
            if matches!(st.mode, DropMode::Pass | DropMode::TrailingCr) {
                st.own_line = st.line_start;
            }
            st.mode = DropMode::Element;
        } else {
            st.mode = DropMode::Trailing;
        }
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
        let mut state = DropState::default();
        let (a, b) = input.split_at(cut);
        let mut gate = Gate {
            out: &mut out,
            state: &mut state,
        };
        let r = stage
            .clean(a, 0, &mut gate)
            .and_then(|()| stage.clean(b, cut as u64, &mut gate))
            .and_then(|()| stage.finish(&mut gate));
        gate.finish();
        assert!(r.is_ok(), "{r:?}");
        out
    }

    #[test]
    fn the_scanner_drops_whole_elements_wherever_the_input_is_cut() {
        let cases: [(&str, &str); 9] = [
            // Lines of their own go, line breaks included.
            (
                "<r>\n  <a/>\n  <x k=\"1\">\n    <y>t&amp;<![CDATA[c]]><!-- - --></y>\n    <x/>\n  </x>\n  <b/>\n</r>",
                "<r>\n  <a/>\n  <b/>\n</r>",
            ),
            ("<r>\n  <a/>\n  <x/>\n</r>", "<r>\n  <a/>\n</r>"),
            ("<r>\r\n  <a/>\r\n  <x/>  \r\n</r>", "<r>\r\n  <a/>\r\n</r>"),
            ("<r>\n<x/> <x/>\n<a>  </a></r>", "<r>\n<a>  </a></r>"),
            // Otherwise only the element's bytes.
            ("<r><x>&#1;</x>text</r>", "<r>text</r>"),
            ("<r><a/> <x/> <b/></r>", "<r><a/>  <b/></r>"),
            ("<r>\n  t<x/>\n</r>", "<r>\n  t\n</r>"),
            ("<r>\n  <x/>t\n</r>", "<r>\n  t\n</r>"),
            // Spaces elsewhere pass untouched.
            ("<r>  <a>  </a>  \n  </r>", "<r>  <a>  </a>  \n  </r>"),
        ];
        for (input, want) in cases {
            for cut in 0..=input.len() {
                let out = scan(input.as_bytes(), cut);
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    want,
                    "cut at {cut} of {input:?}"
                );
            }
        }
    }

    #[test]
    fn what_the_gate_holds_back_is_bounded() {
        let mut out = Vec::new();
        let mut state = DropState::default();
        let mut gate = Gate {
            out: &mut out,
            state: &mut state,
        };
        let spaces = vec![b' '; 3 * MAX_HELD];
        gate.put(b"<a>");
        gate.put(&spaces);
        assert!(gate.state.indent.len() <= MAX_HELD);
        gate.dropping(true);
        gate.put(b"<gone/>");
        gate.dropping(false);
        gate.put(&spaces);
        assert!(gate.state.after.len() <= MAX_HELD);
        gate.put(b"</a>");
        gate.finish();
        assert_eq!(out.len(), 3 + 6 * MAX_HELD + 4, "only the element went");
    }
}
