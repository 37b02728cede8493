"""Pure: the model, gazetteer, registry, front matter, rules, checks across files, index and URL patterns. Imports nothing of the rest of the package."""
