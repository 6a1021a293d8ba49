"""Writing tables, excerpts, reports and charts to files (docx, xlsx, csv, md, tex, png/svg)."""
