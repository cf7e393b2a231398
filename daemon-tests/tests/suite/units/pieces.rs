//! Unit tests of text pieces for streaming (`daemon/src/pipeline/pieces.rs`), kept in the one test binary.

use autovoice_daemon::pipeline::pieces::*;

fn texts(t: &str, max: usize) -> Vec<(&str, End)> {
    split(t, max, max).into_iter().map(|p| (p.text, p.end)).collect()
}

#[test]
fn the_first_piece_is_a_few_words_and_the_rest_follow_clauses() {
    let got: Vec<(&str, End)> =
        split("Hello from AutoVoice. This is the second sentence, with more.", 16, 120)
            .into_iter()
            .map(|p| (p.text, p.end))
            .collect();
    assert_eq!(
        got,
        vec![
            ("Hello from", End::Cut),
            ("AutoVoice.", End::Sentence),
            ("This is the second sentence,", End::Clause),
            ("with more.", End::Last),
        ]
    );
    assert_eq!(split("Short first.", 16, 120).len(), 1, "a first clause within the bound stays whole");
}

#[test]
fn cuts_after_sentences_and_clauses() {
    let t = "Hello from AutoVoice. This is a test, with a clause; and more! Done?";
    assert_eq!(
        texts(t, MAX_PIECE_CHARS),
        vec![
            ("Hello from AutoVoice.", End::Sentence),
            ("This is a test,", End::Clause),
            ("with a clause;", End::Clause),
            ("and more!", End::Sentence),
            ("Done?", End::Last),
        ]
    );
}

#[test]
fn numbers_and_unpunctuated_ends_stay_whole() {
    assert_eq!(texts("Pi is 3.14 today", 120), vec![("Pi is 3.14 today", End::Last)]);
    assert_eq!(texts("One. two", 120), vec![("One.", End::Sentence), ("two", End::Last)]);
    assert_eq!(texts("Hi.", 120), vec![("Hi.", End::Last)]);
}

#[test]
fn long_clauses_are_cut_at_word_boundaries() {
    let t = "alpha beta gamma delta epsilon";
    let got = texts(t, 12);
    assert_eq!(got, vec![("alpha beta", End::Cut), ("gamma delta", End::Cut), ("epsilon", End::Last)]);
    for (p, _) in &got {
        assert!(p.chars().count() <= 12, "{p:?}");
    }
    // A word longer than the bound is one piece.
    assert_eq!(
        texts("a supercalifragilistic b", 5),
        vec![("a", End::Cut), ("supercalifragilistic", End::Cut), ("b", End::Last)]
    );
}

#[test]
fn unspeakable_pieces_join_the_previous_one_and_nothing_is_lost() {
    assert_eq!(texts("Wait. -- . Go.", 120), vec![("Wait. -- .", End::Sentence), ("Go.", End::Last)]);
    assert!(split("   ", 120, 120).is_empty());
    assert_eq!(texts("... hello", 120), vec![("... hello", End::Last)]);
    let t = "Ünïcödé wörds, ça va? Très bien… merci.";
    let joined: Vec<&str> = split(t, 5, 8).iter().map(|p| p.text).collect();
    assert_eq!(joined.join(" "), t, "every character is in exactly one piece");
}
