use super::*;

fn tree_with(entries: &[(u64, u8)]) -> sled::Tree {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let tree = db.open_tree("t").unwrap();
    for (customer, suffix) in entries {
        let mut key = customer.to_be_bytes().to_vec();
        key.push(*suffix);
        tree.insert(key, vec![*suffix]).unwrap();
    }
    tree
}

fn suffixes(
    cursor: &mut PrefixCursor,
    tree: &sled::Tree,
    generation: u64,
    id: u64,
) -> Option<Vec<u8>> {
    cursor
        .entries(tree, generation, CustomerId(id))
        .unwrap()
        .map(|entries| entries.iter().map(|(_, value)| value[0]).collect())
}

#[test]
fn serves_each_customers_entries_in_ascending_order() {
    let tree = tree_with(&[(1, 1), (1, 2), (3, 1), (4, 7), (4, 8), (4, 9)]);
    let mut cursor = PrefixCursor::default();
    assert_eq!(suffixes(&mut cursor, &tree, 0, 1), Some(vec![1, 2]));
    assert_eq!(suffixes(&mut cursor, &tree, 0, 2), Some(vec![]));
    assert_eq!(suffixes(&mut cursor, &tree, 0, 3), Some(vec![1]));
    assert_eq!(suffixes(&mut cursor, &tree, 0, 3), Some(vec![1]));
    assert_eq!(suffixes(&mut cursor, &tree, 0, 4), Some(vec![7, 8, 9]));
    assert_eq!(suffixes(&mut cursor, &tree, 0, 5), Some(vec![]));
}

#[test]
fn going_backwards_or_far_ahead_seeks_again() {
    let many: Vec<(u64, u8)> = (0..200).map(|id| (id, 1)).collect();
    let tree = tree_with(&many);
    let mut cursor = PrefixCursor::default();
    assert_eq!(suffixes(&mut cursor, &tree, 0, 150), Some(vec![1]));
    assert_eq!(suffixes(&mut cursor, &tree, 0, 10), Some(vec![1]));
    assert_eq!(suffixes(&mut cursor, &tree, 0, 199), Some(vec![1]));
    assert_eq!(suffixes(&mut cursor, &tree, 0, 11), Some(vec![1]));
}

#[test]
fn a_new_generation_sees_writes_made_after_the_cursor_passed() {
    let tree = tree_with(&[(1, 1), (2, 1)]);
    let mut cursor = PrefixCursor::default();
    assert_eq!(suffixes(&mut cursor, &tree, 0, 1), Some(vec![1]));
    let mut key = 2u64.to_be_bytes().to_vec();
    key.push(2);
    tree.insert(key, vec![2]).unwrap();
    assert_eq!(suffixes(&mut cursor, &tree, 1, 2), Some(vec![1, 2]));
    let mut key = 1u64.to_be_bytes().to_vec();
    key.push(5);
    tree.insert(key, vec![5]).unwrap();
    assert_eq!(suffixes(&mut cursor, &tree, 2, 1), Some(vec![1, 5]));
}

#[test]
fn declines_a_customer_with_more_entries_than_it_buffers() {
    let tree = tree_with(&[(1, 1), (3, 3), (6, 6)]);
    let insert_many = |customer: u64, count: usize| {
        for n in 0..count as u16 {
            let mut key = customer.to_be_bytes().to_vec();
            key.extend_from_slice(&n.to_be_bytes());
            tree.insert(key, vec![n as u8]).unwrap();
        }
    };
    insert_many(2, MAX_BUFFERED);
    insert_many(5, MAX_BUFFERED + 1);
    let mut cursor = PrefixCursor::default();
    assert_eq!(suffixes(&mut cursor, &tree, 0, 1), Some(vec![1]));
    let full = suffixes(&mut cursor, &tree, 0, 2).map(|s| s.len());
    assert_eq!(full, Some(MAX_BUFFERED));
    assert_eq!(suffixes(&mut cursor, &tree, 0, 3), Some(vec![3]));
    assert_eq!(suffixes(&mut cursor, &tree, 0, 5), None);
    assert_eq!(suffixes(&mut cursor, &tree, 0, 6), Some(vec![6]));
    assert_eq!(suffixes(&mut cursor, &tree, 0, 3), Some(vec![3]));
}
