"""What IAM accepts as a user name, a path and tags, so that a scenario IAM would refuse is refused.

From the IAM API reference: CreateUser's UserName (1 to 64 characters, pattern `[\\w+=,.@-]+`,
where Java's `\\w` is ASCII: letters, digits and `_`), Path (1 to 512 characters, `/` alone or
`/` + characters `!` to `~` + `/`) and Tags (at most 50), and the Tag type (key: 1 to 128, value:
0 to 256 characters, pattern `[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]`: Unicode letters, separators and
numbers are allowed there). Python's `\\w` is Unicode, so these checks spell the sets out.
https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html
"""

from __future__ import annotations

import string
import unicodedata

USER_NAME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "+=,.@_-")
USER_NAME_RULE = "IAM user names are 1 to 64 characters: ASCII letters, digits and +=,.@_-"
PATH_RULE = "IAM paths are '/' alone, or '/' + up to 510 ASCII characters from '!' to '~' + '/'"
TAG_KEY_RULE = "IAM tag keys are 1 to 128 characters: letters, numbers, spaces and _.:/=+-@"
TAG_VALUE_RULE = "IAM tag values are 0 to 256 characters: letters, numbers, spaces and _.:/=+-@"
MAX_TAGS = 50
RESERVED_TAG_PREFIX = "aws:"


def check_user_name(name: str) -> str:
    """The name, or ValueError naming IAM's rule and the characters it refuses."""
    refused = [c for c in dict.fromkeys(name) if c not in USER_NAME_CHARACTERS]
    if refused:
        raise ValueError(f"{USER_NAME_RULE}; {name!r} has {', '.join(repr(c) for c in refused)}")
    if not 1 <= len(name) <= 64:
        raise ValueError(f"{USER_NAME_RULE}; this one has {len(name)}")
    return name


def check_path(path: str) -> str:
    """The path, or ValueError naming IAM's rule."""
    inner = path[1:-1]
    well_formed = path == "/" or (
        len(path) >= 3 and path.startswith("/") and path.endswith("/") and len(path) <= 512
    )
    if not well_formed or any(not "!" <= c <= "~" for c in inner):
        raise ValueError(f"{PATH_RULE}; {path!r} is not")
    return path


def _tag_character(character: str) -> bool:
    # \p{L} letters, \p{Z} separators, \p{N} numbers: the first letter of the Unicode category.
    return unicodedata.category(character)[0] in "LZN" or character in "_.:/=+-@"


def check_tags(tags: dict[str, str]) -> dict[str, str]:
    """The tags, or ValueError naming the IAM rule the first bad key or value breaks."""
    if len(tags) > MAX_TAGS:
        raise ValueError(f"an IAM user has at most {MAX_TAGS} tags ({len(tags)} given)")
    seen: dict[str, str] = {}
    for key, value in tags.items():
        if not (1 <= len(key) <= 128 and all(_tag_character(c) for c in key)):
            raise ValueError(f"{TAG_KEY_RULE}; {key!r} is not")
        if key.lower().startswith(RESERVED_TAG_PREFIX):
            raise ValueError(f"tag keys starting with {RESERVED_TAG_PREFIX!r} are reserved for AWS ({key!r})")
        if not (len(value) <= 256 and all(_tag_character(c) for c in value)):
            raise ValueError(f"{TAG_VALUE_RULE}; the value of {key!r} is not")
        if key.lower() in seen:
            # IAM answers "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            raise ValueError(f"IAM tag keys are case insensitive: {seen[key.lower()]!r} and {key!r} clash")
        seen[key.lower()] = key
    return tags
