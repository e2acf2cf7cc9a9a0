"""The alignment check's rules without an index: when a sentence supports a need, and when an inriktning is shown."""

from __future__ import annotations

import numpy as np

from ingest.vocabulary import INRIKTNINGAR
from service.answering.claims import Rivals, confidence_label, item_support, judge_link
from service.answering.inriktningar import (
    Paraphrase,
    closest_paraphrase,
    judge_inriktning,
    paraphrase_confidence,
    statement_texts,
    statements,
)
from service.answering.matching import link_status
from service.settings import Settings

COHESION, INCLUSION, TRANSITION = INRIKTNINGAR


def test_a_sentence_that_singles_out_one_need_supports_it_and_no_other():
    # three needs × two sentences: sentence 0 is far closer to need 0 than to the others; sentence 1 is
    # equally close to needs 1 and 2
    sentences = np.array([[0.90, 0.84], [0.85, 0.86], [0.84, 0.86]])
    whole = np.array([0.88, 0.85, 0.85])
    support = item_support(whole, sentences, baseline=np.array([0.85, 0.85]), lexical=np.array(
        [[1.0, 0.2], [0.3, 0.5], [0.2, 0.5]]))
    assert support[0].supported and support[0].sentences[0][0] == 0
    assert support[0].confidence > 0.9
    assert support[1].confidence < 0.3 and support[2].confidence < 0.3
    settings = Settings()
    states = [link_status(s.confidence, s.supported, settings) for s in support]
    assert states == ["addressed", "possible", "possible"]  # a tie between two needs is never support


def test_a_sentence_supports_at_most_two_needs():
    sentences = np.array([[0.90], [0.89], [0.88], [0.87]])
    support = item_support(np.full(4, 0.85), sentences, baseline=np.array([0.80]), lexical=np.zeros((4, 1)))
    listed = [bool(s.sentences) for s in support]
    assert listed == [True, True, False, False]
    assert support[3].confidence == 0.0


def test_judgements_are_plain_sentences_in_the_applications_language():
    assert judge_link("addressed", 0.9, "sv").startswith("Tydligt stöd")
    assert judge_link("addressed", 0.5, "en").startswith("Support:")
    assert "not support" in judge_link("possible", 0.3, "en")
    assert "matches another sub-priority best" in judge_link("possible", 0.97, "en", held_back=True)
    assert "passar bäst in i en annan delprioritering" in judge_link("possible", 0.97, "sv", held_back=True)
    assert confidence_label(0.9, "sv") == "hög säkerhet" and confidence_label(0.5, "en") == "moderate confidence"
    assert judge_inriktning([], "sv").startswith("Framgår inte av ansökan")
    assert judge_inriktning(["fossilfria"], "sv") == "Framgår av ansökan: meningen säger uttryckligen “fossilfria”."


def test_explicit_statements_show_an_inriktning_and_say_which_words():
    found = statements([
        "Projektet ska minska skillnaderna mellan kvinnor och män och redovisa allt uppdelat på kön.",
        "Vi bygger en fossilfri bussdepå och återbrukar material från den gamla.",
        "Resor över kommungränsen mot Storuman ska fungera lika enkelt som resor inom kommunen.",
        "Vi anställer en projektledare på halvtid.",
    ])
    assert [s.sentence for s in found[INCLUSION]] == [0]
    assert found[INCLUSION][0].terms == ["kvinnor och män", "uppdelat på kön"]
    assert [s.sentence for s in found[TRANSITION]] == [1]
    assert [s.sentence for s in found[COHESION]] == [2]


def test_english_statements_and_texts_that_state_nothing():
    found = statements([
        "We will give girls and boys equal opportunities to take part.",
        "The pilot will cut emissions from freight by a third and run on renewable fuel.",
        "The network links rural and urban schools in a cross-border partnership with Norway.",
    ])
    assert all(found[name] for name in (COHESION, INCLUSION, TRANSITION))
    silent = statements(["We will build a new booking app for the bus company.", "Vi utbildar tio lärare i AI."])
    assert not any(silent.values())


def test_the_sentence_closest_to_a_statement_in_other_words_is_judged_by_its_calibrated_confidence():
    # three application sentences against two statements; sentence 2 is closest, to statement 1
    sentences = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.6, 0.8]])
    vectors = np.array([[0.0, 0.0, 1.0], [0.0, 0.53, 0.848]])
    best = closest_paraphrase(sentences, vectors, ["första", "andra"])
    assert (best.sentence, best.statement) == (2, "andra") and best.shown
    assert closest_paraphrase(sentences[:0], vectors, ["första", "andra"]) is None
    assert paraphrase_confidence(0.87) < 0.1 < 0.5 < paraphrase_confidence(0.9) < paraphrase_confidence(0.92)
    said = Paraphrase(0, "Minst hälften av deltagarna ska vara kvinnor.", 0.8)
    assert judge_inriktning([], "sv", said, "hög säkerhet") == (
        "Framgår av ansökan med andra ord (hög säkerhet): meningen ligger nära ”Minst hälften av deltagarna ska vara "
        "kvinnor.”."
    )
    assert judge_inriktning([], "en", Paraphrase(0, "x", 0.3), "low confidence").startswith("Not shown")
    assert judge_inriktning(["kvinnor och män"], "sv", said).startswith("Framgår av ansökan: meningen säger")


def test_every_inriktning_has_statements_in_other_words_in_swedish_and_english():
    for name in (COHESION, INCLUSION, TRANSITION):
        texts = statement_texts(name)
        assert set(texts) == {"sv", "en"} and all(len(sentences) >= 10 for sentences in texts.values())


def test_needs_outside_the_best_matching_subpriority_are_claimed_at_the_same_confidence_by_default():
    settings = Settings(align_confidence_addressed=0.38, align_confidence_possible=0.2)
    assert link_status(0.5, True, settings) == "addressed"
    assert link_status(0.5, True, settings, best_match=False) == "addressed"
    assert link_status(0.3, True, settings, best_match=False) == "possible"
    assert link_status(0.1, True, settings, best_match=False) == "not_addressed"


def test_a_deployment_can_claim_outside_the_best_matching_subpriority_from_a_higher_confidence_or_never():
    settings = Settings(align_confidence_addressed=0.38, align_confidence_possible=0.2,
                        align_confidence_addressed_elsewhere=0.8)
    assert link_status(0.5, True, settings) == "addressed"
    assert link_status(0.5, True, settings, best_match=False) == "possible"
    assert link_status(0.85, True, settings, best_match=False) == "addressed"
    assert link_status(0.85, False, settings, best_match=False) == "possible"  # no supporting sentence: no claim
    assert link_status(0.1, True, settings, best_match=False) == "not_addressed"
    never = Settings(align_confidence_addressed=0.38, align_confidence_addressed_elsewhere="none")  # as in the env
    assert link_status(1.0, True, never, best_match=False) == "possible"  # shown with its sentence, not claimed


def test_a_sentence_that_fits_a_need_of_another_subpriority_better_supports_none_here():
    # two needs of this sub-priority × one sentence: alone, the sentence singles out need 0; but a need of another
    # sub-priority (the rivals' last row) fits it better still, so against every need of the strategy it is no
    # support for need 0
    sentences = np.array([[0.88], [0.83]])
    whole = np.array([0.86, 0.84])
    baseline, lexical = np.array([0.84]), np.zeros((2, 1))
    alone = item_support(whole, sentences, baseline, lexical)
    rivals = Rivals(dense=np.array([[0.86, 0.88], [0.84, 0.83], [0.87, 0.92]]), phrased=None)
    against_all = item_support(whole, sentences, baseline, lexical, rivals=rivals)
    settings = Settings()
    assert link_status(alone[0].confidence, alone[0].supported, settings) == "addressed"
    assert not against_all[0].supported and against_all[0].confidence < alone[0].confidence
    assert link_status(against_all[0].confidence, against_all[0].supported, settings) != "addressed"


def test_a_needs_everyday_phrasings_break_a_tie_the_needs_own_text_leaves():
    # sentence 1 is equally close to the text of needs 1 and 2 (a tie: support for neither, as above), but far
    # closer to how people put need 2 (its closest phrasing) than to need 1's or need 0's
    sentences = np.array([[0.90, 0.84], [0.85, 0.86], [0.84, 0.86]])
    whole = np.array([0.88, 0.85, 0.85])
    baseline, lexical = np.array([0.85, 0.85]), np.array([[1.0, 0.2], [0.3, 0.5], [0.2, 0.5]])
    phrased = (np.array([0.86, 0.84, 0.87]), np.array([[0.88, 0.80], [0.83, 0.81], [0.82, 0.90]]))
    settings = Settings()
    before = item_support(whole, sentences, baseline, lexical)
    support = item_support(whole, sentences, baseline, lexical, phrased)
    without = [link_status(s.confidence, s.supported, settings) for s in before]
    states = [link_status(s.confidence, s.supported, settings) for s in support]
    assert without[1:] == ["possible", "possible"]
    assert states == ["addressed", "not_addressed", "addressed"]
    assert support[2].sentences[0][0] == 1  # and the sentence that says it is quoted
