use serde_json::json;

use super::*;

/// The properties object of a stored record, as the store hands it over.
fn stored(record: &str) -> Properties {
    #[derive(serde::Deserialize)]
    struct Record<'a> {
        #[serde(borrow)]
        p: &'a RawValue,
    }
    let object: Record<'_> = serde_json::from_str(record).unwrap();
    let start = object.p.get().as_ptr() as usize - record.as_ptr() as usize;
    let end = start + object.p.get().len();
    Properties::from_json(sled::IVec::from(record.as_bytes()), start..end)
}

const RECORD: &str = r#"{"e":"a@example.com","p":{"email":"a@example.com","tags":["engaged-90","vip"],"last_open":"2026-11-20T08:00:00Z","score":3.5,"note":"say \"hi\"","nested":{"x":[1,null]}},"cr":"2026-01-01T00:00:00Z"}"#;

#[test]
fn reads_single_values_without_decoding_the_rest() {
    let properties = stored(RECORD);
    assert_eq!(
        properties.get("tags").unwrap().as_ref(),
        &json!(["engaged-90", "vip"])
    );
    assert_eq!(properties.get("score").unwrap().as_ref(), &json!(3.5));
    assert_eq!(
        properties.get("note").unwrap().as_ref(),
        &json!("say \"hi\"")
    );
    assert_eq!(
        properties.get("nested").unwrap().as_ref(),
        &json!({"x": [1, null]})
    );
    assert_eq!(properties.get("missing"), None);
    // "e" is a key of the record, not of its properties.
    assert_eq!(properties.get("e"), None);
}

#[test]
fn decodes_to_the_same_map_as_a_full_decode() {
    let full: Value = serde_json::from_str(RECORD).unwrap();
    let expected = full["p"].as_object().unwrap().clone();
    assert_eq!(stored(RECORD).to_map(), expected);
    assert_eq!(stored(RECORD), Properties::from(expected));
}

#[test]
fn escaped_keys_fall_back_to_a_full_decode() {
    let properties = stored(r#"{"p":{"caf\u00e9":"yes","plain":1}}"#);
    assert_eq!(properties.get("café").unwrap().as_ref(), &json!("yes"));
    assert_eq!(properties.get("plain").unwrap().as_ref(), &json!(1));
}

#[test]
fn changes_apply_to_the_decoded_map() {
    let mut properties = stored(RECORD);
    properties
        .make_mut()
        .insert("tags".into(), json!(["moved"]));
    assert_eq!(properties.get("tags").unwrap().as_ref(), &json!(["moved"]));
    assert_eq!(properties.get("score").unwrap().as_ref(), &json!(3.5));
}

#[test]
fn a_malformed_object_has_no_properties() {
    let properties = stored(r#"{"p":[1,2]}"#);
    assert_eq!(properties.get("0"), None);
    assert!(properties.to_map().is_empty());
}
