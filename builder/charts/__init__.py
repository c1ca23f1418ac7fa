"""Charts drawn from data an article gives (issue 15).

    spec.resolve   the article's ```chart blocks read, their data with them (data.py),
                   written back into its body as one line each; errors at file and line
    html.take      in the Markdown pipeline: each chart line a token paragraph
    draw.draw      the chart as SVG (matplotlib), kept in the build's cache
    html.place     after sanitising: each token the chart's figure, for the web page,
                   the print edition or a feed
"""
