# Sphinx configuration for the collection's HTML docs (make docs). Not shipped in the tarball.
# The RST comes from `antsibull-docs collection --use-current` (plugin pages, guides from
# docs/docsite/extra-docs.yml, indexes); this file only renders it. Offline: no intersphinx.

project = 'imagecat.glance'
copyright = 'imagecat.glance maintainers'
title = 'imagecat.glance documentation'
html_short_title = 'imagecat.glance'

extensions = ['sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False
html_theme_options = {
    'display_version': False,
}

# References to docs.ansible.com etc. are not resolved through intersphinx (the build is offline):
# antsibull-docs writes plain links for what lives outside this collection.
default_role = 'any'
nitpicky = True
