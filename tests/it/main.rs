//! The integration tests, as one crate: one binary to build and link, with
//! the shared helpers compiled once.

mod archive_support;
mod split_common;
mod support;
mod unzip_oracle;

mod app_data;
mod archive;
mod archive_cli;
mod archive_errors;
mod archive_rules;
mod cancel;
mod check;
mod check_archive;
mod cli;
mod confluence_links;
mod corpus;
mod fix_path;
mod fix_rules;
mod html_report;
mod jira_attachments;
mod links;
mod memberships;
mod props;
mod regressions;
mod split;
mod split_cli;
mod split_props;
mod split_resume;
mod timestamps;
mod tokio_driver;
mod zip_layer;
