#!/usr/bin/env python3
"""Rebuild rules/hosts/*.hosts from the raw host lists (see rules/ATTRIBUTION.md for sources).

    python3 rules/tools/build_hosts.py /work/shared/data/lists rules/hosts

Each raw list is reduced to one lower-case host a line: comments, "0.0.0.0 "/"127.0.0.1 "
prefixes, IP addresses and invalid names (any with '_' among them: a link's host never has one)
are dropped and duplicates removed. A host matches itself and every subdomain, so two kinds of
entry are removed because they would match far more than the list means to:

- MAINSTREAM: big sites and their subdomains (google.com, amazon.*, wikipedia.org, github.com,
  pharmacy chains...). A phishing page on sites.google.com is not a reason to flag Google.
- In the drugs list, reference, research and harm-reduction sites (drugs.com, erowid.org, .gov
  and .edu hosts): informing about drugs is not selling them.
- PLATFORMS: shared hosting and dynamic-DNS apexes (blogspot.com, pages.dev, duckdns.org,
  amazonaws.com...) and their shared endpoints. Their user subdomains stay: they name one site.

The output is sorted so that a rebuild shows a readable diff.
"""
import os
import re
import sys

# (source file, output name, category, score, id, what it is)
LISTS = [
    ("url-shorteners/list", "url-shorteners", "spam", 0.15, "spam.url_shortener",
     "URL shorteners. Score 0.15: shortened links are ordinary in notes; a shortener only adds to\n# other spam signals and never reports alone (spam reports at 0.40).\n# Licence: CC BY-SA 4.0 (ShareAlike): derived from \"URL shortener domains collection\" by Peter\n# Dave Hello, github.com/PeterDaveHello/url-shorteners; this file is shared under the same licence."),
    ("disposable-email/disposable_email_blocklist.conf", "disposable-email", "spam", 0.2,
     "spam.disposable_email", "Disposable e-mail domains. Score 0.2: throwaway addresses are used by bulk senders but also by\n# people who protect their inbox; a weak spam signal that only adds to others."),
    ("phishing-database/phishing-domains-ACTIVE2.txt", "phishing", "fraud", 0.9, "fraud.phishing",
     "Active phishing domains (Phishing.Database; only the second alphabetical half, rz..zz, was\n# supplied). Score 0.9: a link to a known phishing host blocks on its own (fraud blocks at 0.85)."),
    ("phishing-database/phishing-domains-NEW-today.txt", "phishing-new", "fraud", 0.9,
     "fraud.phishing_new", "Phishing domains first seen on the snapshot day. Score 0.9, as phishing.hosts."),
    ("blocklistproject/scam.txt", "scam", "fraud", 0.8, "fraud.scam", "Scam sites (fake shops, fake investment and support sites). Score 0.8: reviews alone and\n# blocks with any second fraud signal."),
    ("blocklistproject/drugs.txt", "drugs", "regulated_goods", 0.6, "regulated_goods.drugs",
     "Sites selling drugs and prescription drugs without prescription. Score 0.6: reviews; the list\n# is broad (head shops, supplement shops), so it does not block alone."),
    ("blocklistproject/piracy.txt", "piracy", "ip_infringement", 0.6, "ip_infringement.piracy",
     "Piracy, cracked-software and illegal streaming sites. Score 0.6: reviews (ip_infringement\n# reviews at 0.60); blocks with a second piracy signal."),
    ("blocklistproject/ransomware.txt", "ransomware", "malware", 0.9, "malware.ransomware",
     "Ransomware command-and-control and distribution hosts. Score 0.9: blocks on its own."),
    ("gambling-hosts/gambling-hosts", "gambling", "gambling", 0.6, "gambling.hosts",
     "Gambling operators: casinos, bookmakers, lotteries. Score 0.6: a link to a bookmaker reviews\n# (gambling reviews at 0.60) and blocks only with promotional language around it."),
]

MAINSTREAM = """
google.com google.de google.co.uk google.fr google.es google.it google.com.br google.pt google.ca
google.co.in google.co.jp google.com.au google.nl google.pl google.ru googleusercontent.com
googleapis.com gstatic.com gmail.com goo.gl g.co youtube.com youtu.be blogger.com
github.com githubusercontent.com gitlab.com bitbucket.org
facebook.com fb.com fb.me fbcdn.net instagram.com whatsapp.com whatsapp.net messenger.com
twitter.com x.com t.co linkedin.com lnkd.in tiktok.com reddit.com redd.it pinterest.com pin.it
microsoft.com live.com outlook.com office.com office365.com microsoftonline.com sharepoint.com
onedrive.com bing.com msn.com skype.com windows.com
apple.com icloud.com apple.co itunes.com
amazon.com amazon.de amazon.co.uk amazon.fr amazon.es amazon.it amazon.ca amazon.in amazon.com.br
amazon.co.jp amzn.to amzn.com wp.me aka.ms
wikipedia.org wikimedia.org wikidata.org archive.org mozilla.org wordpress.org
yahoo.com yahoo.co.jp yandex.ru yandex.com baidu.com qq.com vk.com mail.ru ok.ru
netflix.com spotify.com spoti.fi twitch.tv discord.com zoom.us telegram.org dropbox.com
paypal.com ebay.com ebay.de ebay.co.uk adobe.com cloudflare.com akamai.net akamaihd.net fastly.net
web.de gmx.de gmx.net t-online.de orange.fr free.fr
cvs.com walgreens.com riteaid.com boots.com walmart.com target.com costco.com kroger.com
""".split()

PLATFORMS = """
blogspot.com blogspot.ca blogspot.de blogspot.in blogspot.co.uk blogspot.com.br blogspot.fr
blogspot.it blogspot.es blogspot.mx blogspot.ru wordpress.com tumblr.com weebly.com wix.com
wixsite.com 000webhostapp.com pages.dev workers.dev netlify.app vercel.app herokuapp.com
appspot.com r.appspot.com firebaseapp.com web.app github.io gitlab.io azurewebsites.net
cloudfront.net amazonaws.com s3.amazonaws.com duckdns.org ngrok.io ngrok-free.app glitch.me
repl.co replit.app csb.app webwave.dev usrfiles.com preview-domain.com godaddysites.com
square.site myshopify.com dynv6.net ddnss.de no-ip.org ddns.net hopto.org sytes.net
""".split()

# Reference, research and harm-reduction sites found in the broad drugs list: informing about
# drugs is not selling them.
DRUG_INFO = set("""
drugs.com rxlist.com erowid.org drugs-forum.com leafly.com weedmaps.com bluelight.org
psychonautwiki.org tripsit.me dancesafe.org webmd.com healthline.com goodrx.com
""".split())
DRUG_INFO_WORDS = re.compile(r"information|research|recovery|rehab|treatment|prevention|harm-?reduction|awareness")

SUFFIXES = {"co.uk", "com.br", "com.au", "co.jp", "co.in", "com.mx", "com.ar", "co.za", "com.tr"}

# Labels of letters, digits and '-', as in the host of a link. '_' is legal in DNS records
# ("_dmarc.example.com", "_sip._tcp.example.com") but never in a link's host, so such an entry
# could never match; aup refuses it (internal/rules validHost).
HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
S3_ENDPOINT = re.compile(r"^s3[.-][a-z0-9.-]*amazonaws\.com$")


def under(host, apex):
    return host == apex or host.endswith("." + apex)


def keep(host):
    if any(under(host, m) for m in MAINSTREAM):
        return False
    if host in SUFFIXES or S3_ENDPOINT.match(host):
        return False
    for p in PLATFORMS:
        if host == p or host == "www." + p:
            return False
    return True


def informational(host):
    return (any(under(host, d) for d in DRUG_INFO) or DRUG_INFO_WORDS.search(host) is not None
            or re.search(r"\.(?:gov|edu)(?:\.[a-z]{2})?$", host) is not None)


def read(path, drugs=False):
    hosts = set()
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.split("#", 1)[0].strip().lower()
        if not line:
            continue
        parts = line.split()
        host = parts[-1] if parts[0] in ("0.0.0.0", "127.0.0.1") else parts[0]
        host = host.rstrip(".")
        if IP.match(host) or not HOST.match(host):
            continue
        if keep(host) and not (drugs and informational(host)):
            hosts.add(host)
    return hosts


def main(src, dst):
    for rel, name, category, score, ident, what in LISTS:
        hosts = sorted(read(os.path.join(src, rel), drugs=(name == "drugs")))
        with open(os.path.join(dst, name + ".hosts"), "w", encoding="utf-8") as f:
            f.write(f"# {what}\n")
            f.write(f"# Derived from {rel} by rules/tools/build_hosts.py (sources and licences in\n")
            f.write("# rules/ATTRIBUTION.md); mainstream sites and shared-hosting apexes removed.\n")
            f.write(f"@score {score}\n@id {ident}\n@category {category}\n")
            f.write("\n".join(hosts) + "\n")
        print(f"{name}: {len(hosts)} hosts")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
