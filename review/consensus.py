"""The panel's consensus (评审组共识): the leader records agreed scores per item after the independent sheets."""
