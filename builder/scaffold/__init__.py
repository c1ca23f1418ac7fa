"""`newsletter new`: the files an editor starts an issue or an article from, numbered and
named as the existing ones are, written without ever replacing a file.

    issue.py    the next issue's folder and issue.yaml (期号, 总期号, date)
    article.py  an article's Markdown file with its front matter, in an issue
    slugs.py    ASCII web addresses from Chinese titles (pinyin)
"""
