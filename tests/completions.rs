//! `dbglog completions SHELL` and `dbglog man` come from the command line's definition:
//! every subcommand and its flags appear in them.

mod common;

#[test]
fn completions_name_every_subcommand_and_flag() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = common::run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for word in [
            "analyze", "compare", "grep", "capture", "fail-on", "redact", "own",
        ] {
            assert!(text.contains(word), "{shell}: {word} missing");
        }
    }
    let bad = common::run(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_man_page_lists_the_subcommands() {
    let out = common::run(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH dbglog 1"),
        "{page}"
    );
    for sub in ["analyze", "view", "scan", "compare", "completions"] {
        assert!(page.contains(sub), "{sub} missing");
    }
}
