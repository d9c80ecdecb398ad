//! The XML layer: a streaming, well-formedness-checking scanner over clean
//! UTF-8, the lexing of bounded markup units, and the hooks for rules.

mod carry;
mod document;
pub(crate) mod drop;
pub(crate) mod lex;
mod piece;
pub(crate) mod rules;
pub(crate) mod scanner;
pub(crate) mod stack;
