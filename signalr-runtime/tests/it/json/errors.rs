//! Errors (PROTOCOL.md §6 parsing rules).

use signalr_runtime::ProtocolError;

use super::parse_err;

#[track_caller]
fn assert_missing(bytes: &[u8], property: &'static str) {
    let error = parse_err(bytes);
    assert_eq!(error, ProtocolError::MissingProperty(property));
    assert_eq!(
        error.to_string(),
        format!("Missing required property '{property}'.")
    );
}

#[track_caller]
fn assert_invalid_json(bytes: &[u8]) -> String {
    let error = parse_err(bytes);
    let ProtocolError::InvalidJson(detail) = &error else {
        panic!("expected InvalidJson, got {error:?}");
    };
    assert!(!detail.is_empty());
    assert_eq!(error.to_string(), format!("Error reading JSON: {detail}"));
    detail.clone()
}

#[test]
fn missing_type() {
    assert_missing(b"{\"target\":\"T\",\"arguments\":[]}\x1e", "type");
    assert_missing(b"{}\x1e", "type");
    assert_missing(b"{\"type\":null}\x1e", "type");
}

#[test]
fn missing_target() {
    assert_missing(b"{\"arguments\":[],\"type\":1}\x1e", "target");
    assert_missing(
        b"{\"arguments\":[],\"invocationId\":\"1\",\"type\":4}\x1e",
        "target",
    );
}

#[test]
fn missing_arguments() {
    assert_missing(b"{\"target\":\"T\",\"type\":1}\x1e", "arguments");
    assert_missing(
        b"{\"target\":\"T\",\"invocationId\":\"1\",\"type\":4}\x1e",
        "arguments",
    );
    assert_missing(
        b"{\"target\":\"T\",\"arguments\":null,\"type\":1}\x1e",
        "arguments",
    );
}

#[test]
fn missing_invocation_id() {
    assert_missing(b"{\"item\":1,\"type\":2}\x1e", "invocationId");
    assert_missing(b"{\"result\":1,\"type\":3}\x1e", "invocationId");
    assert_missing(b"{\"type\":3}\x1e", "invocationId");
    assert_missing(
        b"{\"target\":\"T\",\"arguments\":[],\"type\":4}\x1e",
        "invocationId",
    );
    assert_missing(b"{\"type\":5}\x1e", "invocationId");
    assert_missing(b"{\"invocationId\":null,\"type\":5}\x1e", "invocationId");
}

#[test]
fn an_empty_invocation_id_is_missing_where_one_is_required() {
    // ASP.NET Core: string.IsNullOrEmpty(invocationId) ⇒ "Missing required property".
    assert_missing(
        b"{\"item\":1,\"invocationId\":\"\",\"type\":2}\x1e",
        "invocationId",
    );
    assert_missing(b"{\"invocationId\":\"\",\"type\":3}\x1e", "invocationId");
    assert_missing(
        b"{\"target\":\"T\",\"arguments\":[],\"invocationId\":\"\",\"type\":4}\x1e",
        "invocationId",
    );
    assert_missing(b"{\"invocationId\":\"\",\"type\":5}\x1e", "invocationId");
}

#[test]
fn missing_item() {
    assert_missing(b"{\"invocationId\":\"1\",\"type\":2}\x1e", "item");
}

#[test]
fn missing_sequence_id() {
    for bytes in [
        &b"{\"type\":8}\x1e"[..],
        b"{\"type\":9}\x1e",
        b"{\"sequenceId\":null,\"type\":8}\x1e",
    ] {
        let error = parse_err(bytes);
        assert_eq!(error, ProtocolError::MissingProperty("sequenceId"));
        assert_eq!(error.to_string(), "Missing required property 'sequenceId'.");
    }
}

#[test]
fn result_and_error_are_mutually_exclusive() {
    for bytes in [
        &b"{\"invocationId\":\"1\",\"result\":1,\"error\":\"e\",\"type\":3}\x1e"[..],
        b"{\"type\":3,\"error\":\"e\",\"invocationId\":\"1\",\"result\":null}\x1e",
    ] {
        let error = parse_err(bytes);
        assert_eq!(error, ProtocolError::ResultAndError);
        assert_eq!(
            error.to_string(),
            "The 'error' and 'result' properties are mutually exclusive."
        );
    }
}

#[test]
fn invalid_json() {
    assert_invalid_json(b"{\"type\":1,\x1e");
    assert_invalid_json(b"not json\x1e");
    assert_invalid_json(b"\x1e");
    assert_invalid_json(b"{\"type\":6,}\x1e");
    assert_invalid_json(b"{\"type\":6}}\x1e");
    assert_invalid_json(b"{'type':6}\x1e");
    assert_invalid_json(b"[6]\x1e");
    assert_invalid_json(b"null\x1e");
    assert_invalid_json(b"6\x1e");
    // Invalid UTF-8 inside a string.
    assert_invalid_json(b"{\"type\":1,\"target\":\"\xff\",\"arguments\":[]}\x1e");
}

#[test]
fn invalid_json_detail_is_serde_jsons_text() {
    assert_eq!(
        assert_invalid_json(b"{\"type\":1,\x1e"),
        "EOF while parsing a value at line 1 column 10"
    );
}

#[test]
fn comments_are_not_allowed() {
    assert_invalid_json(b"{\"type\":6 /* ping */}\x1e");
    assert_invalid_json(b"// ping\n{\"type\":6}\x1e");
}

#[test]
fn wrongly_typed_properties_are_invalid() {
    assert_invalid_json(b"{\"type\":\"6\"}\x1e");
    assert_invalid_json(b"{\"type\":1,\"target\":7,\"arguments\":[]}\x1e");
    assert_invalid_json(b"{\"type\":1,\"target\":\"T\",\"arguments\":{}}\x1e");
    assert_invalid_json(b"{\"type\":1,\"target\":\"T\",\"arguments\":\"a\"}\x1e");
    assert_invalid_json(b"{\"type\":1,\"target\":\"T\",\"arguments\":[],\"invocationId\":1}\x1e");
    assert_invalid_json(b"{\"type\":1,\"target\":\"T\",\"arguments\":[],\"streamIds\":[1]}\x1e");
    assert_invalid_json(b"{\"type\":7,\"allowReconnect\":\"yes\"}\x1e");
    assert_invalid_json(b"{\"type\":8,\"sequenceId\":\"1\"}\x1e");
    assert_invalid_json(b"{\"type\":8,\"sequenceId\":-1}\x1e");
}

#[test]
fn headers_must_map_strings_to_strings() {
    assert_invalid_json(
        b"{\"headers\":{\"a\":1},\"target\":\"T\",\"arguments\":[],\"type\":1}\x1e",
    );
    assert_invalid_json(
        b"{\"headers\":{\"a\":\"b\",\"c\":null},\"target\":\"T\",\"arguments\":[],\"type\":1}\x1e",
    );
    assert_invalid_json(
        b"{\"headers\":{\"a\":{\"b\":\"c\"}},\"invocationId\":\"1\",\"type\":5}\x1e",
    );
    assert_invalid_json(b"{\"headers\":[\"a\"],\"invocationId\":\"1\",\"type\":5}\x1e");
}

#[test]
fn a_message_must_be_an_object_not_an_array_of_its_fields() {
    assert_eq!(
        parse_err(b"[1,null,\"0\",\"Echo\",[]]\x1e"),
        ProtocolError::InvalidJson("expected a JSON object".to_owned())
    );
    assert_eq!(
        parse_err(b"  6\x1e"),
        ProtocolError::InvalidJson("expected a JSON object".to_owned())
    );
}

#[test]
fn an_empty_target_is_missing() {
    assert_eq!(
        parse_err(b"{\"type\":1,\"target\":\"\",\"arguments\":[]}\x1e"),
        ProtocolError::MissingProperty("target")
    );
}
