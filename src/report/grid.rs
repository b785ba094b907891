//! Aligned text columns for terminal tables.

/// Rows of cells laid out in aligned columns: the first `labels` columns left-aligned
/// (names), the others right-aligned (numbers), two spaces apart.
#[derive(Debug, Default)]
pub(super) struct Grid {
    labels: usize,
    rows: Vec<Vec<String>>,
}

impl Grid {
    /// An empty grid whose first `labels` columns hold names.
    pub fn new(labels: usize) -> Self {
        Self {
            labels,
            rows: Vec::new(),
        }
    }

    /// Appends a row; rows may be shorter than others (missing cells are blank).
    pub fn push(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Appends the grid's lines to `out`, without trailing spaces.
    pub fn render(&self, out: &mut String) {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0; columns];
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for row in &self.rows {
            let mut line = String::new();
            for (index, width) in widths.iter().enumerate() {
                let cell = row.get(index).map_or("", String::as_str);
                if index > 0 {
                    line.push_str("  ");
                }
                let pad = width - cell.chars().count();
                if index < self.labels {
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', pad));
                } else {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(cell);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Grid;

    #[test]
    fn aligns_labels_left_and_numbers_right() {
        let mut grid = Grid::new(1);
        grid.push(vec!["node".into(), "12-01".into()]);
        grid.push(vec!["a long label".into(), "7".into()]);
        grid.push(vec!["x".into()]);
        let mut out = String::new();
        grid.render(&mut out);
        assert_eq!(out, "node          12-01\na long label      7\nx\n");
    }
}
