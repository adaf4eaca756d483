//! The parser against `cases.json`: `.env` texts with the values (or the complaint) Laravel's
//! phpdotenv gives for them, which the PHP suite checks against phpdotenv itself.

use serde_json::Value;

use super::parse;

const ENVIRONMENT_NAME: &str = "SIDECAST_DOTENV_TEST_ENV";

#[test]
fn every_case_reads_as_phpdotenv_reads_it() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("cases.json")).unwrap();
    assert!(cases.len() >= 25);
    let environment =
        |name: &str| (name == ENVIRONMENT_NAME).then(|| "from the environment".to_owned());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let parsed = parse(case["env"].as_str().unwrap(), &environment);
        match (&case["vars"], &case["error"]) {
            (Value::Object(expected), Value::Null) => {
                let variables = parsed.unwrap_or_else(|error| panic!("{name}: {error}"));
                let expected: std::collections::HashMap<String, String> = expected
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                    .collect();
                assert_eq!(variables, expected, "{name}");
            }
            (Value::Null, Value::String(error)) => {
                assert_eq!(parsed.as_ref().err(), Some(error), "{name}: {parsed:?}");
            }
            other => panic!("{name}: a case has vars or an error: {other:?}"),
        }
    }
}

#[test]
fn a_file_that_is_not_there_is_empty_and_one_that_is_names_itself_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert!(super::read(dir.path(), &|_| None).unwrap().is_empty());
    std::fs::write(dir.path().join(".env"), "A=two words\n").unwrap();
    let error = super::read(dir.path(), &|_| None).unwrap_err();
    assert!(
        error.ends_with(
            ".env: Failed to parse dotenv file. Encountered unexpected whitespace at [two words]."
        ),
        "{error}"
    );
}

mod hostile {
    use proptest::prelude::*;

    use super::parse;

    /// A line of `.env`: a name, `=` and a value made of the characters the grammar cares about.
    fn line() -> impl Strategy<Value = String> {
        (
            prop_oneof![
                "[A-Z_]{1,6}",
                "export [A-Z]{1,6}",
                "\"[A-Z]{0,3}\"",
                "[ #=-]{0,3}"
            ],
            "[a-z $#'\"\\\\{}=\\n\\r\\t]{0,16}",
        )
            .prop_map(|(name, value)| format!("{name}={value}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        /// Any text is read or refused with phpdotenv's reason, never a panic.
        #[test]
        fn any_text_is_read_or_refused(text in "\\PC{0,200}") {
            check(&text);
        }

        #[test]
        fn lines_of_the_grammar_are_read_or_refused(lines in proptest::collection::vec(line(), 0..12)) {
            check(&lines.join("\n"));
        }
    }

    fn check(text: &str) {
        if let Err(error) = parse(text, &|_| None) {
            assert!(
                error.starts_with("Failed to parse dotenv file. Encountered "),
                "{error}"
            );
        }
    }
}
