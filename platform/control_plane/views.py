from django.shortcuts import render


def home(request):
    return render(request, "control_plane/home.html")
