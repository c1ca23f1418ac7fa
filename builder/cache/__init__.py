"""The build cache under .cache/build/: work a build did, kept for the next one. Deleting
.cache/ is always safe; a damaged cache is started anew, saying so in one line."""
