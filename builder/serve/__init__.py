"""`newsletter serve`: the editor's preview. The site is built (drafts included) into
.cache/serve/output, never into output/; it is served on loopback; a saved file rebuilds
what it affects, and every open tab whose page changed reloads once the rebuild is done.

    watch.Changes --saved files--> loop.run: pipeline.build --Outcome--> state.Board
                                             previews.Previews (PDFs, in a process aside) --+
    http.Handler <-- the browser: pages from the output (live.js put in), /__live__/events (SSE)

The build, the file watcher and the HTTP server are each in their own module; `loop.run`
is the one function that ties them.
"""
