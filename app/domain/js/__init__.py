"""JavaScript scripts seen statically: parsed with tree-sitter (a maintained, error-tolerant
parser with exact positions), never run. The JavaScript `Language` (app/domain/languages) uses
these modules for its entry finder, lint and rename fix."""
