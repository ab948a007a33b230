"""Scenario users are named, pathed and tagged only as IAM allows; the Config and runbook switches."""

from __future__ import annotations

import json

import pytest

from keywarden.scenario import Scenario, ScenarioError, UserSpec, parse_scenario


def scenario_with(user: dict[str, object], **top: object) -> str:
    return json.dumps({**top, "users": [user]})


def problems(user: dict[str, object]) -> str:
    with pytest.raises(ScenarioError) as refused:
        parse_scenario(scenario_with(user), "scenario.json")
    return str(refused.value)


class TestUserNames:
    def test_a_name_in_japanese_is_refused_naming_the_rule(self) -> None:
        """Given a user named 名前 (Python's \\w would take it), When the scenario is read,
        Then it is refused at users.0.name with IAM's rule and the refused characters."""
        message = problems({"name": "名前"})
        assert (
            "users.0.name: Value error, IAM user names are 1 to 64 characters: "
            "ASCII letters, digits and +=,.@_-; '名前' has '名', '前'"
        ) in message

    # The last one starts with a fullwidth f.
    @pytest.mark.parametrize("name", ["alice\n", "a b", "élodie", "bob#1", "x/y", "\uff46ull"])
    def test_other_characters_iam_refuses(self, name: str) -> None:
        """Given a name with a character outside IAM's set, When the scenario is read, Then it is refused."""
        assert "users.0.name" in problems({"name": name})

    def test_every_allowed_character_and_64_of_them(self) -> None:
        """Given a 64-character name using letters, digits and all of +=,.@_-, When read, Then it loads."""
        name = "Az09+=,.@_-" + "x" * 53
        assert UserSpec.model_validate({"name": name}).name == name

    def test_65_characters_is_one_too_many(self) -> None:
        """Given a 65-character name, When the scenario is read, Then it is refused, saying how long it is."""
        assert "this one has 65" in problems({"name": "x" * 65})

    def test_an_empty_name_is_refused(self) -> None:
        """Given an empty name, When the scenario is read, Then it is refused, saying it has 0 characters."""
        assert "this one has 0" in problems({"name": ""})


class TestPaths:
    @pytest.mark.parametrize("path", ["/", "/engineering/", "/a/b.c-d_e/", "/!~/", "/" + "x" * 510 + "/"])
    def test_paths_iam_accepts(self, path: str) -> None:
        """Given a path matching IAM's pattern (/ or / + ASCII ! to ~ + /, at most 512), When read,
        Then it loads."""
        assert UserSpec.model_validate({"name": "u", "path": path}).path == path

    @pytest.mark.parametrize(
        "path", ["", "//", "engineering/", "/engineering", "/a b/", "/名前/", "/" + "x" * 511 + "/"]
    )
    def test_paths_iam_refuses(self, path: str) -> None:
        """Given a path IAM's pattern or length refuses, When the scenario is read, Then the error names the
        path rule."""
        message = problems({"name": "u", "path": path})
        assert "users.0.path: Value error, IAM paths are '/' alone" in message


class TestTags:
    def test_unicode_letters_numbers_and_spaces_are_allowed_in_tags(self) -> None:
        """Given tags IAM's tag pattern allows (\\p{L}, \\p{Z}, \\p{N} and _.:/=+-@), When read,
        Then they load."""
        tags = {"チーム": "支払い 2", "owner-email": "a@example.com", "cost:centre/=+_.": ""}
        assert UserSpec.model_validate({"name": "u", "tags": tags}).tags == tags

    @pytest.mark.parametrize(
        ("tags", "rule"),
        [
            ({"team#": "x"}, "IAM tag keys are 1 to 128 characters"),
            ({"": "x"}, "IAM tag keys are 1 to 128 characters"),
            ({"k" * 129: "x"}, "IAM tag keys are 1 to 128 characters"),
            (
                {"team": "a,b"},
                "IAM tag values are 0 to 256 characters: letters, numbers, spaces and _.:/=+-@; "
                "the value of 'team' is not",
            ),
            ({"team": "v" * 257}, "IAM tag values are 0 to 256 characters"),
            ({"aws:owner": "x"}, "tag keys starting with 'aws:' are reserved for AWS"),
            ({"AWS:owner": "x"}, "tag keys starting with 'aws:' are reserved for AWS"),
            ({"Team": "a", "team": "b"}, "IAM tag keys are case insensitive: 'Team' and 'team' clash"),
            ({f"k{i}": "v" for i in range(51)}, "an IAM user has at most 50 tags (51 given)"),
        ],
    )
    def test_tags_iam_refuses(self, tags: dict[str, str], rule: str) -> None:
        """Given a tag set IAM would refuse, When the scenario is read, Then it is refused at users.0.tags
        with the rule."""
        message = problems({"name": "u", "tags": tags})
        assert "users.0.tags: Value error, " + rule in message

    def test_the_limits_themselves_are_allowed(self) -> None:
        """Given 50 tags, a 128-character key and a 256-character value, When read, Then they load."""
        tags = {f"k{i}": "v" for i in range(49)} | {"k" * 128: "v" * 256}
        assert len(UserSpec.model_validate({"name": "u", "tags": tags}).tags) == 50


class TestConfigAndRunbookSwitches:
    def test_defaults_keep_every_user_discovered_and_the_runbook_verifying(self) -> None:
        """Given a scenario that says nothing about Config, When it is read, Then IAM users are recorded,
        every user is discovered and the runbook's verification passes (existing scenarios are unaffected)."""
        scenario = parse_scenario(scenario_with({"name": "u", "automation": {}}), "scenario.json")
        assert scenario.config_records_iam_users is True
        assert scenario.users[0].discovered_by_config is True
        assert scenario.users[0].automation is not None
        assert scenario.users[0].automation.verification_fails is False
        assert scenario.automation.verification_fails is False

    def test_the_switches_are_read(self) -> None:
        """Given the three switches set, When the scenario is read, Then it carries them."""
        scenario = Scenario.model_validate(
            {
                "config_records_iam_users": False,
                "automation": {"verification_fails": True},
                "users": [{"name": "u", "discovered_by_config": False}],
            }
        )
        assert (
            scenario.config_records_iam_users,
            scenario.users[0].discovered_by_config,
            scenario.automation.verification_fails,
        ) == (False, False, True)

    @pytest.mark.parametrize(
        ("content", "where"),
        [
            ({"config_records_iam_users": "maybe", "users": [{"name": "u"}]}, "config_records_iam_users"),
            ({"users": [{"name": "u", "discovered_by_config": 3}]}, "users.0.discovered_by_config"),
            (
                {"users": [{"name": "u", "automation": {"verification_fails": "sometimes"}}]},
                "users.0.automation.verification_fails",
            ),
        ],
    )
    def test_a_bad_switch_value_says_where(self, content: dict[str, object], where: str) -> None:
        """Given a switch that is not a boolean, When the scenario is read, Then the error says where."""
        with pytest.raises(ScenarioError, match=where):
            parse_scenario(json.dumps(content), "scenario.json")
