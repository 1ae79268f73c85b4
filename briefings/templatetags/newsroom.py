"""Template filters for the newsroom's own pages (the admin's workflow and history screens)."""
from django import template

from briefings.models import display_name

register = template.Library()
register.filter("display_name", display_name)
