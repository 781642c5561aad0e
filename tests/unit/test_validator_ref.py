"""core.validator_ref: a validator named as the tables show it, never guessed."""

from __future__ import annotations

import pytest

from ogcli.core.validator_ref import ValidatorRefError, match_validator

GALE = "0x57FB313C0a1b2c3d4e5f60718293a4b5c6d7e8f9"
TWIN = "0x57FB313Cffffffffffffffffffffffffffffffff"
AURORA = "0xFD2934c2019872f82B3a2F601d0D079172798302"
VALIDATORS = [(GALE, "Gale"), (AURORA, "Aurora Labs")]


@pytest.mark.parametrize("text", ["0x57FB313C", "0x57fb313c…", "57FB313C", " 0x57FB313C0a "])
def test_the_start_of_the_address_as_the_table_shows_it(text):
    assert match_validator(text, VALIDATORS) == GALE


def test_a_name_case_insensitively():
    assert match_validator("aurora labs", VALIDATORS) == AURORA


def test_an_ambiguous_prefix_is_refused_with_both_candidates():
    with pytest.raises(ValidatorRefError, match="names 2 validators") as refused:
        match_validator("0x57FB313C", [*VALIDATORS, (TWIN, "Twin")])
    assert GALE in str(refused.value) and TWIN in str(refused.value)


@pytest.mark.parametrize("text, message", [("0x57FB", "too short"), ("Zephyr", "no validator"), ("", "name a validator")])
def test_unknown_or_too_short_is_refused(text, message):
    with pytest.raises(ValidatorRefError, match=message):
        match_validator(text, VALIDATORS)


def test_a_name_ending_in_a_full_stop():
    assert match_validator("cirrus node co.", [*VALIDATORS, (TWIN, "Cirrus Node Co.")]) == TWIN


def test_the_start_of_a_name_when_only_one_has_it():
    assert match_validator("Aurora", VALIDATORS) == AURORA
    assert match_validator("aur", VALIDATORS) == AURORA


def test_a_name_start_two_share_is_refused_with_both():
    twins = [*VALIDATORS, (TWIN, "Aurora Borealis")]
    with pytest.raises(ValidatorRefError, match="names 2 validators") as refused:
        match_validator("Aurora", twins)
    assert AURORA in str(refused.value) and TWIN in str(refused.value)


def test_a_whole_name_wins_over_a_longer_one_it_starts():
    assert match_validator("Gale", [*VALIDATORS, (TWIN, "Gale Force")]) == GALE
