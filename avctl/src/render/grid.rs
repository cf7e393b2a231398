//! Grafana's dashboard grid: rows and panels placed on 24 columns (what the dashboard JSON's
//! `gridPos` says), and those cells in pixels as Grafana draws them.

use avspec::{Dashboard, Panel};

/// Columns of Grafana's grid.
pub const COLUMNS: u32 = 24;
/// Pixel height of one grid unit and the gap between cells (Grafana's GRID_CELL_HEIGHT and
/// GRID_CELL_VMARGIN).
pub const CELL_HEIGHT: u32 = 30;
pub const MARGIN: u32 = 8;

/// A position on the grid, in grid units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// One thing on the grid: a row header or a panel.
#[derive(Debug, Clone, Copy)]
pub enum Placed<'a> {
    Row { title: &'a str, cell: Cell },
    Panel { panel: &'a Panel, cell: Cell },
}

/// Places a dashboard's rows and panels left to right, wrapping at 24 columns; each row
/// header takes a full-width line of height 1.
pub fn place(d: &Dashboard) -> Vec<Placed<'_>> {
    let mut out = Vec::new();
    let mut y = 0;
    for row in &d.rows {
        out.push(Placed::Row { title: &row.title.value, cell: Cell { x: 0, y, w: COLUMNS, h: 1 } });
        y += 1;
        let (mut x, mut row_h) = (0, 0);
        for p in &row.panels {
            let (w, h) = (p.width.value.clamp(1, COLUMNS), p.height.value.max(1));
            if x + w > COLUMNS {
                x = 0;
                y += row_h;
                row_h = 0;
            }
            out.push(Placed::Panel { panel: p, cell: Cell { x, y, w, h } });
            x += w;
            row_h = row_h.max(h);
        }
        y += row_h;
    }
    out
}

/// A rectangle in pixels: left, top, width, height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: u32,
    pub h: u32,
}

impl Rect {
    pub fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.x && y >= self.y && x < self.x + self.w as i32 && y < self.y + self.h as i32
    }
}

/// The pixel rectangle of `cell` on an image `width` pixels wide, below a `top` margin: columns
/// share the width less the gaps between them, a cell of height h is h units plus h - 1 gaps.
pub fn pixels(cell: Cell, width: u32, top: u32) -> Rect {
    let inner = width.saturating_sub(MARGIN * (COLUMNS + 1));
    let col = inner as f64 / f64::from(COLUMNS);
    let left = |x: u32| (f64::from(MARGIN) + f64::from(x) * (col + f64::from(MARGIN))).round() as i32;
    let x0 = left(cell.x);
    let x1 = left(cell.x + cell.w) - MARGIN as i32;
    Rect {
        x: x0,
        y: (top + MARGIN + cell.y * (CELL_HEIGHT + MARGIN)) as i32,
        w: (x1 - x0).max(1) as u32,
        h: cell.h * CELL_HEIGHT + cell.h.saturating_sub(1) * MARGIN,
    }
}

/// The image height that holds every placed cell.
pub fn height(placed: &[Placed<'_>], top: u32) -> u32 {
    let bottom = placed
        .iter()
        .map(|p| match p {
            Placed::Row { cell, .. } | Placed::Panel { cell, .. } => cell.y + cell.h,
        })
        .max()
        .unwrap_or(0);
    top + MARGIN + bottom * (CELL_HEIGHT + MARGIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_grafana_pixels() {
        // 1600 px: 25 gaps of 8 px leave 1400 px, 58.33 px a column.
        let full = pixels(Cell { x: 0, y: 0, w: 24, h: 1 }, 1600, 0);
        assert_eq!(full, Rect { x: 8, y: 8, w: 1584, h: 30 });
        let half = pixels(Cell { x: 12, y: 1, w: 12, h: 8 }, 1600, 40);
        assert_eq!(half, Rect { x: 804, y: 86, w: 788, h: 8 * 30 + 7 * 8 });
        let left = pixels(Cell { x: 0, y: 1, w: 12, h: 8 }, 1600, 40);
        // The two halves meet with one gap between them.
        assert_eq!(left.x + left.w as i32 + 8, half.x);
    }

    #[test]
    fn panels_wrap_at_24_columns_under_their_row() {
        let spec = r#"
dashboards:
  - uid: d
    title: D
    rows:
      - title: R1
        panels:
          - {id: a, title: A, type: stat, width: 16, queries: [{expr: up}]}
          - {id: b, title: B, type: stat, width: 16, height: 4, queries: [{expr: up}]}
      - title: R2
        panels:
          - {id: c, title: C, type: stat, queries: [{expr: up}]}
"#;
        let f = avspec::load::parse_file(0, spec).expect("parse");
        let d = &f.dashboards[0];
        let cells: Vec<Cell> = place(d)
            .iter()
            .map(|p| match p {
                Placed::Row { cell, .. } | Placed::Panel { cell, .. } => *cell,
            })
            .collect();
        let (w, h) = (d.rows[1].panels[0].width.value, d.rows[1].panels[0].height.value);
        assert_eq!(
            cells,
            vec![
                Cell { x: 0, y: 0, w: 24, h: 1 },
                Cell { x: 0, y: 1, w: 16, h: d.rows[0].panels[0].height.value },
                Cell { x: 0, y: 1 + d.rows[0].panels[0].height.value, w: 16, h: 4 },
                Cell { x: 0, y: 5 + d.rows[0].panels[0].height.value, w: 24, h: 1 },
                Cell { x: 0, y: 6 + d.rows[0].panels[0].height.value, w, h },
            ]
        );
        assert_eq!(height(&place(d), 0), 8 + (6 + d.rows[0].panels[0].height.value + h) * 38);
    }
}
