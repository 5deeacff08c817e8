"""What the site adds to Markdown pages: figures, quoted values, the syllabus, the glossary, Colab links.

``pages`` and ``content`` know nothing of mkdocs; ``mkdocs_hook`` connects them.
"""
