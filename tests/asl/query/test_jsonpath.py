"""JSONPath with AWS Step Functions' (Jayway) semantics: compile once, evaluate, assign."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stepforge.asl import errors
from stepforge.asl.errors import StatesError
from stepforge.asl.query.jsonpath import (
    PathNotFound,
    PathSyntaxError,
    compile_path,
    compile_reference_path,
)
from stepforge.asl.scope import Scope

STORE: dict[str, Any] = {
    "store": {
        "book": [
            {"category": "reference", "author": "Rees", "title": "Sayings", "price": 8.95},
            {"category": "fiction", "author": "Waugh", "title": "Sword", "price": 12.99},
            {"category": "fiction", "author": "Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99},
            {"category": "fiction", "author": "Tolkien", "title": "Rings", "isbn": "0-395", "price": 22.99},
        ],
        "bicycle": {"color": "red", "price": 19.95},
    },
    "expensive": 10,
}
ITEMS: dict[str, Any] = {"items": [{"item_key": i} for i in range(11)]}
DATA: dict[str, Any] = {
    "a": {"b": [10, 20, 30], "c": None, "n": 0},
    "name-with-dashes": 1,
    "ünï": "code",
    "with space": "s",
    "it's": "q",
    "list": [1, 2, 3, 4, 5],
    "flag": True,
}


# --- compiling -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "root", "variable", "definite", "normalized"),
    [
        ("$", "input", None, True, "$"),
        ("$.a.b[0]", "input", None, True, "$['a']['b'][0]"),
        ("$['a'][\"b\"]", "input", None, True, "$['a'][\"b\"]"),
        ("$.a.b[-1]", "input", None, True, "$['a']['b'][-1]"),
        ("$.NoSuchInputPath", "input", None, True, "$['NoSuchInputPath']"),
        ("$$", "context", None, True, "$"),
        ("$$.Execution.Input", "context", None, True, "$['Execution']['Input']"),
        ("$x", "variable", "x", True, "$"),
        ("$my_var2.y[0]", "variable", "my_var2", True, "$['y'][0]"),
        ("$[0]", "input", None, True, "$[0]"),
        ("$.a.length()", "input", None, True, "$['a'].length()"),
        ("$['a','b']", "input", None, True, "$['a','b']"),
        ("$.items[*]", "input", None, False, "$['items'][*]"),
        ("$.*", "input", None, False, "$[*]"),
        ("$.items[1:]", "input", None, False, "$['items'][1:]"),
        ("$.items[:2]", "input", None, False, "$['items'][:2]"),
        ("$.items[-2:]", "input", None, False, "$['items'][-2:]"),
        ("$.items[0:4:2]", "input", None, False, "$['items'][0:4]"),
        ("$.items[0,1]", "input", None, False, "$['items'][0,1]"),
        ("$['a','b'].c", "input", None, False, "$['a','b']['c']"),
        ("$..name", "input", None, False, "$..['name']"),
        ("$..[0]", "input", None, False, "$..[0]"),
        ("$..*", "input", None, False, "$..[*]"),
        ("$.users[?(@.status == 0)]", "input", None, False, "$['users'][?]"),
    ],
)
def test_compile_reports_root_definiteness_and_normalized_form(
    text: str, root: str, variable: str | None, definite: bool, normalized: str
) -> None:
    path = compile_path(text)
    assert (path.text, path.root, path.variable) == (text, root, variable)
    assert path.is_definite is definite
    assert path.normalized == normalized


def test_compiled_paths_are_cached() -> None:
    assert compile_path("$.cached.path[0]") is compile_path("$.cached.path[0]")
    assert compile_reference_path("$.cached") is compile_reference_path("$.cached")


@pytest.mark.parametrize(
    ("text", "position", "problem"),
    [
        ("", 0, "must start with '$'"),
        ("a.b", 0, "must start with '$'"),
        ("$.", 2, "must not end with '.'"),
        ("$..", 3, "must not end with '.'"),
        ("$...a", 3, "'.' is not valid"),
        ("$.a b", 3, "bracket notation"),
        ("$[", 2, "after '['"),
        ("$[x]", 2, "after '['"),
        ("$['a", 2, "missing closing '"),
        ("$['a'", 5, "expected ']'"),
        ("$['a' 'b']", 6, "expected ']'"),
        ("$[0", 2, "expected ']'"),
        ("$[1,,2]", 2, "not an integer"),
        ("$[1.5]", 2, "not an integer"),
        ("$[:]", 2, "invalid slice"),
        ("$[1:2:3:4]", 2, "invalid slice"),
        ("$[*", 3, "expected ']'"),
        ("$a b", 2, "expected '.' or '['"),
        ("$.a.nope()", 4, "unknown function"),
        ("$.a.length(1)", 10, "takes no arguments"),
        ("$.a.length().b", 12, "must end the path"),
        ("$..length()", 3, "deep scan"),
        ("$[?(@.a == 1]", 3, "not closed"),
        ("$[?@.a]", 3, "expected '('"),
        ("$[?(@.a ==)]", 10, "expected an operand"),
        ("$[?(@.a == 1 1)]", 13, "unexpected '1'"),
        ("$[?(1)]", 5, "comparison operator"),
        ("$[?(@.a in [1,)]", 14, "expected a value"),
        ("$[?(@.a == #)]", 11, "unexpected character"),
        ("$[?((@.a == 1)]", 3, "not closed"),
        ("$[?((@.a == 1) && (@.b)]", 3, "not closed"),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, position: int, problem: str) -> None:
    with pytest.raises(PathSyntaxError) as caught:
        compile_path(text)
    assert caught.value.position == position
    assert problem in caught.value.problem
    assert f"position {position}" in str(caught.value)
    assert isinstance(caught.value, ValueError)


# --- definite paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$", DATA),
        ("$.a.b", [10, 20, 30]),
        ("$.a.b[0]", 10),
        ("$.a.b[-1]", 30),
        ("$.a.b[-3]", 10),
        ("$.a.c", None),
        ("$.a.n", 0),
        ("$['a']['b'][1]", 20),
        ('$["a"]["b"][2]', 30),
        ("$.['a'].n", 0),
        ("$.name-with-dashes", 1),
        ("$.ünï", "code"),
        ("$['with space']", "s"),
        ('$["it\'s"]', "q"),
        ("$[ 'a' ][ 'n' ]", 0),
        ("$.flag", True),
        ("$.list.length()", 5),
        ("$.a.length()", 3),
        ("$.flag.length()", None),
        ("$['a','flag']", {"a": DATA["a"], "flag": True}),
        ("$['flag','missing']", {"flag": True}),
    ],
)
def test_definite_path_selects_one_value(text: str, expected: Any) -> None:
    assert compile_path(text).evaluate(DATA) == expected


def test_conformance_array_index() -> None:
    assert compile_path("$.items[0]").evaluate(ITEMS) == {"item_key": 0}
    assert compile_path("$.items[10]").evaluate(ITEMS) == {"item_key": 10}


def test_conformance_bracket_name_keeps_backslashes_verbatim() -> None:
    # AWS: "$['Test\\\"\"Name\"']" on {"Test\\\"\"Name\"": ...} (JSON-encoded) finds the value.
    key = 'Test\\""Name"'
    assert compile_path("$['" + key + "']").evaluate({key: 'Value"\\'}) == 'Value"\\'


def test_bracket_name_may_contain_an_escaped_quote() -> None:
    assert compile_path(r"$['a\'b']").evaluate({r"a\'b": 1}) == 1


def test_evaluation_returns_the_document_objects_themselves() -> None:
    document: dict[str, Any] = {"a": {"b": [1]}, "list": [{"k": 1}]}
    assert compile_path("$.a").evaluate(document) is document["a"]
    assert compile_path("$.list[*]").evaluate(document)[0] is document["list"][0]


@pytest.mark.parametrize(
    ("text", "document", "message"),
    [
        ("$.NoSuchInputPath", {}, "No results for path: $['NoSuchInputPath']"),
        ("$.a.missing", DATA, "No results for path: $['a']['missing']"),
        ("$.missing.b", DATA, "Missing property in path $['missing']"),
        ("$.missing.length()", DATA, "Missing property in path $['missing']"),
        ("$.a.b[3]", DATA, "No results for path: $['a']['b'][3]"),
        ("$.a.b[-4]", DATA, "No results for path: $['a']['b'][-4]"),
        ("$.flag.x", DATA, "Expected to find an object with property ['x'] in path $['flag'] but found 'boolean'"),
        ("$.a.b.x", DATA, "Expected to find an object with property ['x'] in path $['a']['b'] but found 'array'"),
        ("$.a.c[0]", DATA, "The path $['a']['c'] is null"),
        ("$.a.n[0].x", DATA, "Filter: [0]['x'] can only be applied to arrays. Current context is: 0"),
        ("$.x", "text", "Expected to find an object with property ['x'] in path $ but found 'string'"),
        ("$[0]", {"0": 1}, 'Filter: [0] can only be applied to arrays. Current context is: {"0":1}'),
    ],
)
def test_definite_path_that_selects_nothing_raises_path_not_found(text: str, document: Any, message: str) -> None:
    path = compile_path(text)
    with pytest.raises(PathNotFound) as caught:
        path.evaluate(document)
    assert caught.value.path is path
    assert str(caught.value) == caught.value.message == message


# --- indefinite paths ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$.items[*]", ITEMS["items"]),
        ("$.items[1:]", ITEMS["items"][1:]),
        ("$.items[:1]", [{"item_key": 0}]),
        ("$.items[1:3].item_key", [1, 2]),
        ("$.items[-2:].item_key", [9, 10]),
        ("$.items[:-9].item_key", [0, 1]),
        ("$.items[9:20].item_key", [9, 10]),
        ("$.items[-3:-1].item_key", [8, 9]),
        ("$.items[1:-1].item_key", []),  # Jayway: a negative end with a start selects nothing
        ("$.items[0:4:2].item_key", [0, 1, 2, 3]),  # Jayway ignores the step
        ("$.items[20:].item_key", []),
        # Jayway walks -20..1 and maps each negative index from the end, skipping the ones before 0
        ("$.items[-20:2].item_key", [*range(11), 0, 1]),
        ("$.items[0,2,-1,50].item_key", [0, 2, 10]),
        ("$.items[0].*", [0]),
        ("$[*]", [ITEMS["items"]]),
    ],
)
def test_indefinite_path_selects_a_list(text: str, expected: Any) -> None:
    assert compile_path(text).evaluate(ITEMS) == expected


def test_a_single_match_is_still_a_list() -> None:
    assert compile_path("$.list[0:1]").evaluate(DATA) == [1]
    assert compile_path("$.a[*]").evaluate({"a": {"only": 1}}) == [1]


@pytest.mark.parametrize(
    "text",
    [
        "$.item.items[*]",
        "$.item.items[1:5].itemValue",
        "$.item.items[1:5]",
        "$.item.items[1:]",
        "$.item.items[:1]",
        "$.items[*].itemValue",
        "$.items[*]",
        "$.items[1:].itemValue",
        "$.items[1:]",
        "$.items[:1].itemValue",
        "$.items[:1]",
        "$[*]",
    ],
)
def test_conformance_wildcard_or_slice_with_no_input_is_empty(text: str) -> None:
    assert compile_path(text).evaluate({}) == []


@pytest.mark.parametrize(
    ("text", "document"),
    [
        ("$.a[*]", {"a": 1}),
        ("$.a[0:2]", {"a": "text"}),
        ("$.a[0,1]", {"a": {"0": 1}}),
        ("$[*].x", [1, "s", None]),
        ("$..x", 5),
        ("$.a[?(@.b)]", {"a": 3}),
        ("$['x','y'].z", {"x": 1}),
    ],
)
def test_indefinite_path_never_raises(text: str, document: Any) -> None:
    assert compile_path(text).evaluate(document) == []


def test_multi_name_in_the_middle_iterates_and_at_the_end_merges() -> None:
    document = {"a": {"v": 1}, "b": {"v": 2}, "c": {"v": 3}}
    assert compile_path("$['a','c'].v").evaluate(document) == [1, 3]
    assert compile_path("$[*]['v','w']").evaluate(document) == [{"v": 1}, {"v": 2}, {"v": 3}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$..author", ["Rees", "Waugh", "Melville", "Tolkien"]),
        ("$.store..price", [8.95, 12.99, 8.99, 22.99, 19.95]),
        ("$..book[2].title", ["Moby Dick"]),
        ("$..book[-1:].title", ["Rings"]),
        ("$..[0].title", ["Sayings"]),
        ("$..bicycle.*", ["red", 19.95]),
        ("$..isbn", ["0-553", "0-395"]),
        ("$..['color','price']", [{"color": "red", "price": 19.95}]),
        ("$..[?(@.isbn)].title", ["Moby Dick", "Rings"]),
        ("$..[?(@.price > 20)].title", ["Rings"]),
        ("$.expensive..x", []),
    ],
)
def test_deep_scan_visits_the_node_and_all_descendants_in_document_order(text: str, expected: Any) -> None:
    assert compile_path(text).evaluate(STORE) == expected


def test_deep_scan_wildcard_lists_every_value() -> None:
    assert compile_path("$..*").evaluate({"a": {"b": 1}, "c": [2]}) == [{"b": 1}, [2], 1, 2]


# --- filters -------------------------------------------------------------------------------------


def titles(text: str) -> list[str]:
    return [book["title"] for book in compile_path(text).evaluate(STORE)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$.store.book[?(@.isbn)]", ["Moby Dick", "Rings"]),
        ("$.store.book[?(!@.isbn)]", ["Sayings", "Sword"]),
        ("$.store.book[?(@.price < 10)]", ["Sayings", "Moby Dick"]),
        ("$.store.book[?(@.price <= 8.99)]", ["Sayings", "Moby Dick"]),
        ("$.store.book[?(@.price > 12.99)]", ["Rings"]),
        ("$.store.book[?(@.price >= 12.99)]", ["Sword", "Rings"]),
        ("$.store.book[?(@.price > $.expensive)]", ["Sword", "Rings"]),
        ("$.store.book[?(@.category == 'reference')]", ["Sayings"]),
        ('$.store.book[?(@.category == "reference")]', ["Sayings"]),
        ("$.store.book[?(@.category != 'fiction')]", ["Sayings"]),
        ("$.store.book[?('fiction' == @.category && @.price < 10)]", ["Moby Dick"]),
        ("$.store.book[?(@.price < 9 || @.author == 'Tolkien')]", ["Sayings", "Moby Dick", "Rings"]),
        ("$.store.book[?(@.price < 9 || @.price > 20 && @.isbn)]", ["Sayings", "Moby Dick", "Rings"]),
        ("$.store.book[?((@.price < 9 || @.price > 20) && !@.isbn)]", ["Sayings"]),
        ("$.store.book[?(!(@.category == 'fiction'))]", ["Sayings"]),
        ("$.store.book[?(@.author in ['Rees', 'Tolkien'])]", ["Sayings", "Rings"]),
        ("$.store.book[?(@.author nin ['Rees', 'Tolkien'])]", ["Sword", "Moby Dick"]),
        ("$.store.book[?(@.author > 'S')]", ["Sword", "Rings"]),
        ("$.store.book[?(@.isbn === '0-553')]", ["Moby Dick"]),
        ("$.store.book[?(@['title'] == 'Sword')]", ["Sword"]),
        ("$.store.book[?(@.title.length() == 5)]", []),  # length() of a string is null (Jayway)
        ("$.store.book[ ?( @.price==8.95 ) ]", ["Sayings"]),
        ("$.store.book[?(@.price>20||@.price<9&&@.isbn)]", ["Moby Dick", "Rings"]),
        ("$.store.book[?(@.price > $['expensive'])]", ["Sword", "Rings"]),
    ],
)
def test_filter_selects_the_elements_that_match(text: str, expected: list[str]) -> None:
    assert titles(text) == expected


def test_conformance_filter_on_status() -> None:
    users = {"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]}
    assert compile_path("$.users[?(@.status == 0)]").evaluate(users) == [{"year": 1997, "status": 0}]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("@.v == 1", ["int", "float"]),
        ("@.v == 1.0", ["int", "float"]),
        ("@.v == true", ["bool"]),
        ("@.v == false", []),
        ("@.v == null", ["null"]),
        ("@.v != null", ["int", "float", "bool", "str", "list", "obj", "absent"]),
        ("@.v == '1'", ["str"]),
        ("@.v > 0", ["int", "float"]),
        ("@.v < 'z'", ["str"]),
        ("@.v == [1, 'x']", ["list"]),
        ("@.v == @.w", ["obj"]),
        ("@.v", ["int", "float", "bool", "null", "str", "list", "obj"]),
        ("!@.v", ["absent"]),
        ("@.v in [1, null]", ["int", "float", "null"]),
        ("@.v in [true]", ["bool"]),
        ("@.v nin [1, null]", ["bool", "str", "list", "obj", "absent"]),
        ("@.v.length() == 2", ["list"]),
        ("@.v[0] == 1", ["list"]),
        ("@.v[*] == 1", []),
        ("@.v.k == 'x'", ["obj"]),
    ],
)
def test_filter_comparisons_keep_json_types_apart(expression: str, expected: list[str]) -> None:
    rows = [
        {"id": "int", "v": 1},
        {"id": "float", "v": 1.0},
        {"id": "bool", "v": True},
        {"id": "null", "v": None},
        {"id": "str", "v": "1"},
        {"id": "list", "v": [1, "x"]},
        {"id": "obj", "v": {"k": "x"}, "w": {"k": "x"}},
        {"id": "absent"},
    ]
    found = compile_path(f"$[?({expression})]").evaluate(rows)
    assert [row["id"] for row in found] == expected


def test_filter_string_literals_take_java_escapes() -> None:
    rows = [{"s": "a'b"}, {"s": 'a"b'}, {"s": "tab\there"}, {"s": "é"}]
    assert compile_path(r"$[?(@.s == 'a\'b')]").evaluate(rows) == [rows[0]]
    assert compile_path(r'$[?(@.s == "a\"b")]').evaluate(rows) == [rows[1]]
    assert compile_path(r"$[?(@.s == 'tab\there')]").evaluate(rows) == [rows[2]]
    assert compile_path(r"$[?(@.s == '\u00e9')]").evaluate(rows) == [rows[3]]


def test_filter_may_contain_brackets_and_parentheses_in_strings() -> None:
    rows = [{"s": "x)]"}, {"s": "y"}]
    assert compile_path("$[?(@.s == 'x)]')]").evaluate(rows) == [rows[0]]


def test_filter_on_an_object_tests_the_object_itself() -> None:
    document = {"o": {"a": 1}}
    assert compile_path("$.o[?(@.a == 1)]").evaluate(document) == [{"a": 1}]
    assert compile_path("$.o[?(@.a == 2)]").evaluate(document) == []


def test_nested_filter_in_a_filter_operand() -> None:
    rows = [{"tags": [{"n": "a"}]}, {"tags": [{"n": "b"}]}]
    assert compile_path("$[?(@.tags[?(@.n == 'b')])]").evaluate(rows) == [rows[1]]


# --- resolve against a scope ---------------------------------------------------------------------


SCOPE = Scope(
    input={"x": 1, "items": [1, 2]},
    context={"Execution": {"Input": {"k": "v"}}},
    variables={"counter": 3, "obj": {"y": [5, 6]}},
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$", SCOPE.input),
        ("$.x", 1),
        ("$.items[*]", [1, 2]),
        ("$$", SCOPE.context),
        ("$$.Execution.Input.k", "v"),
        ("$counter", 3),
        ("$obj.y[1]", 6),
        ("$obj['y'][*]", [5, 6]),
    ],
)
def test_resolve_picks_input_context_or_variable(text: str, expected: Any) -> None:
    assert compile_path(text).resolve(SCOPE) == expected


def test_resolving_an_unknown_variable_raises_path_not_found() -> None:
    with pytest.raises(PathNotFound, match="Variable 'nope' is not defined"):
        compile_path("$nope.x").resolve(SCOPE)


def test_resolving_a_missing_context_field_raises_path_not_found() -> None:
    with pytest.raises(PathNotFound, match=r"No results for path: \$\['Execution'\]\['Input'\]\['no'\]"):
        compile_path("$$.Execution.Input.no").resolve(SCOPE)


# --- reference paths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "document", "expected"),
    [
        ("$", {"a": 1}, "R"),
        ("$.a", {"a": 1, "b": 2}, {"a": "R", "b": 2}),
        ("$.new", {"a": 1}, {"a": 1, "new": "R"}),
        ("$.a.b", {}, {"a": {"b": "R"}}),
        ("$.a.b.c", {"x": 0}, {"x": 0, "a": {"b": {"c": "R"}}}),
        ("$.a.b", {"a": {"c": 1}}, {"a": {"c": 1, "b": "R"}}),
        ("$['odd key'].v", {}, {"odd key": {"v": "R"}}),
        ("$.list[1]", {"list": [1, 2, 3]}, {"list": [1, "R", 3]}),
        ("$.list[-1].v", {"list": [{"v": 0}, {"v": 1}]}, {"list": [{"v": 0}, {"v": "R"}]}),
        ("$[0]", [1, 2], ["R", 2]),
    ],
)
def test_assign_places_the_value_creating_missing_objects(text: str, document: Any, expected: Any) -> None:
    assert compile_reference_path(text).assign(document, "R") == expected


def test_assign_copies_only_the_containers_along_the_path() -> None:
    document: dict[str, Any] = {"a": {"b": {"old": 1}, "side": {"deep": [1]}}, "other": [{"x": 1}]}
    value = {"result": [1, 2]}
    snapshot = copy.deepcopy(document)
    updated = compile_reference_path("$.a.b.new").assign(document, value)
    assert document == snapshot
    assert updated["a"]["b"] == {"old": 1, "new": value}
    assert updated is not document and updated["a"] is not document["a"]
    assert updated["other"] is document["other"]
    assert updated["a"]["side"] is document["a"]["side"]
    assert updated["a"]["b"]["new"] is value


@pytest.mark.parametrize(
    ("text", "document", "cause"),
    [
        ("$.partitioned", '{"min_size":10}',
         'Unable to apply ReferencePath $.partitioned to input "{\\"min_size\\":10}"'),
        ("$.a.b", {"a": 1}, 'Unable to apply ReferencePath $.a.b to input {"a":1}'),
        ("$.a.b", {"a": None}, 'Unable to apply ReferencePath $.a.b to input {"a":null}'),
        ("$.a[0]", {"a": {"0": 1}}, 'Unable to apply ReferencePath $.a[0] to input {"a":{"0":1}}'),
        ("$.a[5]", {"a": [1]}, 'Unable to apply ReferencePath $.a[5] to input {"a":[1]}'),
        ("$.a[0]", {}, "Unable to apply ReferencePath $.a[0] to input {}"),
        ("$.x", [1, "é"], 'Unable to apply ReferencePath $.x to input [1,"é"]'),
    ],
)
def test_assign_that_cannot_apply_raises_result_path_match_failure(text: str, document: Any, cause: str) -> None:
    snapshot = copy.deepcopy(document)
    with pytest.raises(StatesError) as caught:
        compile_reference_path(text).assign(document, 1)
    assert caught.value.error == errors.RESULT_PATH_MATCH_FAILURE
    assert caught.value.cause == cause
    assert document == snapshot


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("$.a[*]", 3),
        ("$.a.*", 3),
        ("$..a", 1),
        ("$.a[1:]", 3),
        ("$.a[0,1]", 3),
        ("$['a','b']", 1),
        ("$.a[?(@.b)]", 3),
        ("$.a.length()", 3),
        ("$.a b", 3),
    ],
)
def test_reference_paths_must_name_a_single_node(text: str, position: int) -> None:
    with pytest.raises(PathSyntaxError) as caught:
        compile_reference_path(text)
    assert caught.value.position == position


def test_reference_path_exposes_its_compiled_path_for_reading() -> None:
    reference = compile_reference_path("$$.Execution.Input.k")
    assert reference.text == "$$.Execution.Input.k"
    assert reference.path.resolve(SCOPE) == "v"
