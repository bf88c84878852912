"""CSV (and XLSX) import and export: columns, natural keys, safety, layouts."""
