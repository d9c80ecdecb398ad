//! The XML layer: a streaming, well-formedness-checking scanner over clean
//! UTF-8, the lexing of bounded markup units, and the hooks for rules.

pub(crate) mod drop;
pub(crate) mod lex;
pub(crate) mod rules;
pub(crate) mod scanner;
pub(crate) mod stack;
