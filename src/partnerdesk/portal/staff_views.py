"""The staff task desk. (Scaffold: the staff-UI work replaces this module.)"""

from django.http import Http404


def detail(request, pk):
    raise Http404
